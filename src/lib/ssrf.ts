import { lookup } from 'node:dns/promises'
import ipaddr from 'ipaddr.js'

// RFC 8215 local-use NAT64: translated by a NAT64 of the operator's own, in any RFC 6052
// layout (the IPv4 need not be the last 32 bits), so what it leads to cannot be read off it.
// ipaddr.js files it under rfc6052 beside the well-known 64:ff9b::/96.
const NAT64_LOCAL_USE = ipaddr.parseCIDR('64:ff9b:1::/48')

/**
 * Why an address is not a public unicast one (loopback, private, link-local, CGNAT,
 * multicast, documentation, reserved, …), or undefined when it is public. IPv4 carried
 * inside IPv6 (::ffff:a.b.c.d, ::a.b.c.d, and NAT64's 64:ff9b::/96) is judged by that IPv4 address;
 * the local-use NAT64 prefix 64:ff9b:1::/48 is refused as a whole.
 */
export function nonPublicReason(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address'
  let ip = ipaddr.parse(address)
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6
    if (v6.match(NAT64_LOCAL_USE)) return `${v6.toString()} is NAT64 local-use (64:ff9b:1::/48)`
    const bytes = v6.toByteArray()
    // ::a.b.c.d (the deprecated IPv4-compatible form) has no range of its own in ipaddr.js.
    const compatible = bytes.slice(0, 12).every((b) => b === 0) && v6.range() === 'unicast'
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address()
    else if (v6.range() === 'rfc6052' || compatible) ip = ipaddr.fromByteArray(bytes.slice(12))
  }
  const range = ip.range()
  return range === 'unicast' ? undefined : `${ip.toString()} is ${range.replace(/([A-Z])/g, ' $1').toLowerCase()}`
}

/**
 * Whether Baton may send webhooks to this URL: http or https, no credentials in it, and
 * (unless private targets are allowed) a host whose every address is public. Checked
 * when an endpoint is saved; delivery checks the address it connects to again (DNS can
 * change between the two).
 */
export async function webhookUrlProblem(raw: string, { allowPrivate }: { allowPrivate: boolean }): Promise<string | undefined> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL'
  if (url.username || url.password) return 'must not carry credentials (user:password@)'
  if (allowPrivate) return undefined
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (ipaddr.isValid(host)) {
    const reason = nonPublicReason(host)
    return reason ? `points to a non-public address (${reason})` : undefined
  }
  const addresses = await lookup(host, { all: true, verbatim: true }).catch(() => undefined)
  if (!addresses || addresses.length === 0) return `has a host that does not resolve (${host})`
  for (const { address } of addresses) {
    const reason = nonPublicReason(address)
    if (reason) return `resolves to a non-public address (${reason})`
  }
  return undefined
}
