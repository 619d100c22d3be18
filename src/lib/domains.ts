import { domainToASCII } from 'node:url'

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * The form in which domains are stored and compared: lower-case ASCII (IDNs in
 * punycode), no trailing dot, no leading "www.". Returns undefined for anything that
 * is not a public-looking host name (needs a dot, no IP literals, no ports or paths).
 */
export function normalizeDomain(input: string): string | undefined {
  const trimmed = input.trim().toLowerCase().replace(/\.$/, '')
  if (trimmed === '' || /[/:@?#\s]/.test(trimmed)) return undefined
  const ascii = domainToASCII(trimmed)
  if (!ascii || ascii.length > 253) return undefined
  const host = ascii.startsWith('www.') ? ascii.slice(4) : ascii
  const labels = host.split('.')
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined
  if (/^\d+$/.test(labels.at(-1)!)) return undefined // an IPv4 literal, not a domain
  return host
}
