// normalizeDomain: the one form in which domains are stored and compared.
import t from 'tap'
import { normalizeDomain } from '../../src/lib/domains.ts'

const label63 = 'a'.repeat(63)
// 63 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 253 characters: the longest name DNS allows.
const longest = `${label63}.${label63}.${label63}.${'b'.repeat(57)}.com`

t.test('accepted, in their normal form', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['plain', 'example.com', 'example.com'],
    ['upper case', 'Example.COM', 'example.com'],
    ['surrounding blanks', '  example.com \t', 'example.com'],
    ['leading www.', 'www.example.com', 'example.com'],
    ['WWW. in capitals', 'WWW.Example.com', 'example.com'],
    ['trailing dot (fully qualified)', 'example.com.', 'example.com'],
    ['subdomains kept', 'mail.eu.example.co.uk', 'mail.eu.example.co.uk'],
    ['www only when leading', 'shop.www.example.com', 'shop.www.example.com'],
    ['hyphens inside a label', 'my-company.example', 'my-company.example'],
    ['digits in a label', '123.example.com', '123.example.com'],
    ['IDN to punycode', 'bücher.de', 'xn--bcher-kva.de'],
    ['IDN in capitals', 'BÜCHER.DE', 'xn--bcher-kva.de'],
    ['IDN already in punycode', 'xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['IDN in both labels', '例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['full-width letters', 'ＥＸＡＭＰＬＥ.com', 'example.com'],
    ['a 63-character label', `${label63}.com`, `${label63}.com`],
    ['253 characters in all', longest, longest],
  ]
  for (const [name, input, expected] of cases) t.equal(normalizeDomain(input), expected, name)
})

t.test('refused: not a public-looking host name', async (t) => {
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['blank', '   '],
    ['no dot', 'localhost'],
    ['a lone www.', 'www.'],
    ['IPv4 literal', '192.168.1.1'],
    ['IPv4 literal with a trailing dot', '10.0.0.1.'],
    ['IPv4 in hex', '0x7f.0.0.1'],
    ['IPv4 as one number', '0x7f000001'],
    ['numeric top-level label', 'example.123'],
    ['IPv6 literal', '[::1]'],
    ['a port', 'example.com:8080'],
    ['a path', 'example.com/pricing'],
    ['a URL', 'https://example.com'],
    ['an email address', 'ada@example.com'],
    ['a query', 'example.com?x=1'],
    ['a fragment', 'example.com#top'],
    ['inner space', 'exa mple.com'],
    ['label with a leading hyphen', '-bad.example.com'],
    ['label with a trailing hyphen', 'bad-.example.com'],
    ['a 64-character label', `${'a'.repeat(64)}.com`],
    ['254 characters in all', `${longest.slice(0, -4)}b.com`],
    ['empty label', 'example..com'],
    ['leading dot', '.example.com'],
    ['two trailing dots', 'example.com..'],
    ['underscore', 'my_host.example.com'],
  ]
  for (const [name, input] of cases) t.equal(normalizeDomain(input), undefined, `${name}: ${JSON.stringify(input)}`)
})

t.test('normalising is idempotent', async (t) => {
  for (const input of ['Example.COM.', 'www.bücher.de', '例え.テスト', 'mail.eu.example.co.uk']) {
    const once = normalizeDomain(input)
    t.ok(once, input)
    t.equal(normalizeDomain(once!), once, `${input}: normalising again changes nothing`)
  }
})
