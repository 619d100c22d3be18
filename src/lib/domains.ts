import { domainToASCII } from 'node:url'
import { getDomain } from 'tldts'

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

// Private suffixes (github.io, herokuapp.com) count: each name under them is someone else's.
const SUFFIXES = { allowPrivateDomains: true }

/** A suffix under which anyone registers a name (com, co.uk, github.io): never one company's domain. */
export const isPublicSuffix = (domain: string): boolean => getDomain(domain, SUFFIXES) === null

/**
 * A normalised domain and each parent of it, nearest first, down to the name registered
 * under its public suffix: eu.sales.acme.co.uk → [eu.sales.acme.co.uk, sales.acme.co.uk,
 * acme.co.uk]. Never the suffix itself (co.uk), which would match every company under it.
 */
export function domainAndParents(domain: string): string[] {
  const registered = getDomain(domain, SUFFIXES)
  if (!registered || !domain.endsWith(registered)) return []
  const labels = domain.split('.')
  const depth = labels.length - registered.split('.').length
  return Array.from({ length: depth + 1 }, (_, i) => labels.slice(i).join('.'))
}
