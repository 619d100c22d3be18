// The SSRF guard: which addresses a webhook may not reach, and which URLs are refused outright.
import t from 'tap'
import { nonPublicReason, webhookUrlProblem } from '../../src/lib/ssrf.ts'

t.test('nonPublicReason: every non-public range is refused, with its reason', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['loopback, first', '127.0.0.1', '127.0.0.1 is loopback'],
    ['loopback, last host', '127.255.255.254', '127.255.255.254 is loopback'],
    ['unspecified', '0.0.0.0', '0.0.0.0 is unspecified'],
    ['10/8', '10.0.0.1', '10.0.0.1 is private'],
    ['10/8, last', '10.255.255.255', '10.255.255.255 is private'],
    ['172.16/12, first', '172.16.0.0', '172.16.0.0 is private'],
    ['172.16/12, last', '172.31.255.255', '172.31.255.255 is private'],
    ['192.168/16', '192.168.1.1', '192.168.1.1 is private'],
    ['link-local (cloud metadata)', '169.254.169.254', '169.254.169.254 is link local'],
    ['CGNAT 100.64/10, first', '100.64.0.1', '100.64.0.1 is carrier grade nat'],
    ['CGNAT 100.64/10, last', '100.127.255.255', '100.127.255.255 is carrier grade nat'],
    ['multicast, first', '224.0.0.1', '224.0.0.1 is multicast'],
    ['multicast, last', '239.255.255.255', '239.255.255.255 is multicast'],
    ['limited broadcast', '255.255.255.255', '255.255.255.255 is broadcast'],
    ['documentation TEST-NET-1', '192.0.2.1', '192.0.2.1 is reserved'],
    ['documentation TEST-NET-2', '198.51.100.1', '198.51.100.1 is reserved'],
    ['documentation TEST-NET-3', '203.0.113.1', '203.0.113.1 is reserved'],
    ['benchmarking 198.18/15, first', '198.18.0.1', '198.18.0.1 is reserved'],
    ['benchmarking 198.18/15, last', '198.19.255.255', '198.19.255.255 is reserved'],
    ['240/4', '240.0.0.1', '240.0.0.1 is reserved'],
    ['IPv6 loopback', '::1', '::1 is loopback'],
    ['IPv6 unspecified', '::', ':: is unspecified'],
    ['IPv6 link-local fe80::/10, first', 'fe80::1', 'fe80::1 is link local'],
    ['IPv6 link-local fe80::/10, last block', 'febf::1', 'febf::1 is link local'],
    ['unique local fc00::/7 (fc)', 'fc00::1', 'fc00::1 is unique local'],
    ['unique local fc00::/7 (fd)', 'fd12:3456::1', 'fd12:3456::1 is unique local'],
    ['IPv6 multicast', 'ff02::1', 'ff02::1 is multicast'],
    ['IPv6 documentation 2001:db8::/32', '2001:db8::1', '2001:db8::1 is reserved'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1', '127.0.0.1 is loopback'],
    ['IPv4-mapped loopback, hex form', '::ffff:7f00:1', '127.0.0.1 is loopback'],
    ['IPv4-mapped private', '::ffff:10.0.0.1', '10.0.0.1 is private'],
    ['NAT64 of 127.0.0.1', '64:ff9b::7f00:1', '127.0.0.1 is loopback'],
    ['NAT64 of 169.254.169.254', '64:ff9b::a9fe:a9fe', '169.254.169.254 is link local'],
  ]
  for (const [name, address, reason] of cases) t.equal(nonPublicReason(address), reason, name)
})

t.test('nonPublicReason: public unicast addresses pass', async (t) => {
  const cases: Array<[string, string]> = [
    ['Google DNS', '8.8.8.8'],
    ['Cloudflare DNS', '1.1.1.1'],
    ['just below 172.16/12', '172.15.255.255'],
    ['just above 172.16/12', '172.32.0.0'],
    ['just below CGNAT', '100.63.255.255'],
    ['just above CGNAT', '100.128.0.0'],
    ['just above benchmarking', '198.20.0.0'],
    ['Cloudflare IPv6', '2606:4700:4700::1111'],
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['NAT64 of a public address', '64:ff9b::808:808'],
  ]
  for (const [name, address] of cases) t.equal(nonPublicReason(address), undefined, name)
})

t.test('nonPublicReason: what is not an address at all', async (t) => {
  for (const input of ['', 'example.com', '256.1.1.1', '1.2.3.4.5', 'fe80::1::2'])
    t.equal(nonPublicReason(input), 'not an IP address', JSON.stringify(input))
})

t.test('webhookUrlProblem: refused whatever the setting', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['ftp scheme', 'ftp://8.8.8.8/hook', 'must be an http or https URL'],
    ['javascript scheme', 'javascript:alert(1)', 'must be an http or https URL'],
    ['file scheme', 'file:///etc/passwd', 'must be an http or https URL'],
    ['not a URL', 'not a url', 'is not a URL'],
    ['relative path', '/hooks/baton', 'is not a URL'],
    ['user and password', 'https://user:pass@8.8.8.8/hook', 'must not carry credentials (user:password@)'],
    ['user only', 'https://user@8.8.8.8/hook', 'must not carry credentials (user:password@)'],
  ]
  for (const allowPrivate of [false, true]) {
    for (const [name, url, problem] of cases)
      t.equal(await webhookUrlProblem(url, { allowPrivate }), problem, `${name} (allowPrivate: ${allowPrivate})`)
  }
})

t.test('webhookUrlProblem: non-public targets refused, unless private targets are allowed', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['localhost resolves to loopback', 'http://localhost/', /^resolves to a non-public address \((127\.0\.0\.1|::1) is loopback\)$/],
    ['IPv6 loopback literal', 'https://[::1]/', /^points to a non-public address \(::1 is loopback\)$/],
    ['loopback with a port', 'http://127.0.0.1:9/hook', /^points to a non-public address \(127\.0\.0\.1 is loopback\)$/],
    ['private literal', 'http://10.0.0.1/hook', /^points to a non-public address \(10\.0\.0\.1 is private\)$/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /\(169\.254\.169\.254 is link local\)$/],
    ['IPv4-mapped literal', 'http://[::ffff:127.0.0.1]/', /\(127\.0\.0\.1 is loopback\)$/],
    ['NAT64 literal', 'http://[64:ff9b::7f00:1]/', /\(127\.0\.0\.1 is loopback\)$/],
    // The URL parser normalizes these spellings of 127.0.0.1 before the guard sees the host.
    ['decimal IPv4', 'http://2130706433/', /\(127\.0\.0\.1 is loopback\)$/],
    ['hex IPv4', 'http://0x7f.0.0.1/', /\(127\.0\.0\.1 is loopback\)$/],
    ['short IPv4', 'http://127.1/', /\(127\.0\.0\.1 is loopback\)$/],
    ['host that does not resolve', 'https://nothing.invalid/hook', /^has a host that does not resolve \(nothing\.invalid\)$/],
  ]
  for (const [name, url, problem] of cases) {
    t.match(await webhookUrlProblem(url, { allowPrivate: false }), problem, name)
    t.equal(await webhookUrlProblem(url, { allowPrivate: true }), undefined, `${name}: allowed with allowPrivate`)
  }
})

t.test('webhookUrlProblem: public IP literals pass', async (t) => {
  for (const url of [
    'https://8.8.8.8/',
    'http://1.1.1.1:8080/hook?x=1',
    'https://[2606:4700:4700::1111]/hook',
    'https://[::ffff:8.8.8.8]/',
    'https://[64:ff9b::808:808]/',
  ]) {
    t.equal(await webhookUrlProblem(url, { allowPrivate: false }), undefined, url)
  }
})

// IPv4-compatible IPv6 (::a.b.c.d, deprecated by RFC 4291) is in none of ipaddr.js's ranges, so
// nonPublicReason judges it by its IPv4 itself. The URL parser writes [::127.0.0.1] as [::7f00:1].
t.test('IPv4-compatible IPv6 carrying a non-public IPv4', async (t) => {
  t.ok(nonPublicReason('::7f00:1'), '::7f00:1 (::127.0.0.1) is refused')
  t.ok(await webhookUrlProblem('http://[::127.0.0.1]/', { allowPrivate: false }), 'http://[::127.0.0.1]/ is refused')
  t.ok(await webhookUrlProblem('http://[::a9fe:a9fe]/', { allowPrivate: false }), 'http://[::169.254.169.254]/ is refused')
})

// RFC 8215's local-use NAT64 prefix is mapped by a translator of the operator's own choosing, in
// any of the RFC 6052 layouts: its last 32 bits say nothing about where it leads, so all of it is refused.
t.test('NAT64 local-use 64:ff9b:1::/48 is refused whatever it embeds', async (t) => {
  const reason = (address: string) => `${address} is NAT64 local-use (64:ff9b:1::/48)`
  const cases: Array<[string, string, string]> = [
    ['a public IPv4 in its last 32 bits', '64:ff9b:1::808:808', '64:ff9b:1::808:808'],
    ['loopback in its last 32 bits', '64:ff9b:1::7f00:1', '64:ff9b:1::7f00:1'],
    ['the first address', '64:ff9b:1::', '64:ff9b:1::'],
    ['the last address', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'],
    ['a /48 layout carrying 8.8.8.8 in the middle', '64:ff9b:1:808:8:800::', '64:ff9b:1:808:8:800::'],
  ]
  for (const [name, address, shown] of cases) t.equal(nonPublicReason(address), reason(shown), name)
  t.equal(nonPublicReason('64:ff9b:2::808:808'), undefined, 'just past the /48 is ordinary unicast')
  t.equal(nonPublicReason('64:ff9b::808:808'), undefined, 'the well-known prefix 64:ff9b::/96 is still judged by its IPv4')
  for (const url of ['https://[64:ff9b:1::808:808]/hook', 'http://[64:ff9b:1::7f00:1]/']) {
    t.match(
      await webhookUrlProblem(url, { allowPrivate: false }),
      /^points to a non-public address \(.* is NAT64 local-use \(64:ff9b:1::\/48\)\)$/,
      url,
    )
    t.equal(await webhookUrlProblem(url, { allowPrivate: true }), undefined, `${url}: allowed with allowPrivate`)
  }
})
