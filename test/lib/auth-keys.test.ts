// Baton's own signing keys: which one signs, which ones verify, and never a dev key in production.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.ts'
import { resolveSigningSecret, signToken } from '../../src/lib/auth-keys.ts'

const NEW = 'the-newest-secret-long-enough-for-hs256'
const OLD = 'the-older-secret-long-enough-for-hs256!'
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (key: Uint8Array) => new TextDecoder().decode(key)

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-auth-keys-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('AUTH_SECRET alone: one key without a kid, as before rotation existed', async (t) => {
  const keys = await resolveSigningSecret(loadConfig({ AUTH_SECRET: OLD }))
  t.equal(keys?.current.kid, undefined)
  t.equal(text(keys!.current.secret), OLD)
  t.equal(keys?.all.length, 1)
})

t.test('AUTH_SECRETS: the first signs, all verify, AUTH_SECRET beside them verifies tokens without a kid', async (t) => {
  const keys = (await resolveSigningSecret(loadConfig({ AUTH_SECRETS: `new:${NEW},old:${OLD}` })))!
  t.same(
    keys.all.map((key) => [key.kid, text(key.secret)]),
    [
      ['new', NEW],
      ['old', OLD],
    ],
  )
  t.equal(keys.current.kid, 'new')
  const withLegacy = (await resolveSigningSecret(loadConfig({ AUTH_SECRETS: `new:${NEW}`, AUTH_SECRET: OLD })))!
  t.same(
    withLegacy.all.map((key) => [key.kid, text(key.secret)]),
    [
      ['new', NEW],
      [undefined, OLD],
    ],
  )
  t.equal(withLegacy.current.kid, 'new', 'the named key signs, not AUTH_SECRET')
})

t.test('AUTH_KEYS_FILE: one "kid:secret" a line, newest first; comments and blank lines ignored', async (t) => {
  const dir = await scratch(t)
  const file = path.join(dir, 'keys')
  await writeFile(file, `# rotated 2026-06\n\nnew:${NEW}\n  old:${OLD}  \n`)
  const keys = (await resolveSigningSecret(loadConfig({ AUTH_KEYS_FILE: file, DATA_DIR: dir })))!
  t.same(
    keys.all.map((key) => [key.kid, text(key.secret)]),
    [
      ['new', NEW],
      ['old', OLD],
    ],
  )

  const refused: Array<[string, string, RegExp]> = [
    ['empty', '# nothing yet\n', /AUTH_KEYS_FILE names no key/],
    ['a short secret', 'k1:short\n', /AUTH_KEYS_FILE key "k1" must be at least 32 characters/],
    ['a line without a kid', `${NEW}\n`, /AUTH_KEYS_FILE must be "kid:key" pairs/],
  ]
  for (const [name, content, message] of refused) {
    await writeFile(file, content)
    await t.rejects(resolveSigningSecret(loadConfig({ AUTH_KEYS_FILE: file, DATA_DIR: dir })), { name: 'ConfigError', message }, name)
  }
  await t.rejects(resolveSigningSecret(loadConfig({ AUTH_KEYS_FILE: path.join(dir, 'missing'), DATA_DIR: dir })), {
    name: 'ConfigError',
    message: /AUTH_KEYS_FILE .*missing.* cannot be read/,
  })
  await t.rejects(resolveSigningSecret(loadConfig({ AUTH_KEYS_FILE: file, AUTH_SECRETS: `new:${NEW}` })), {
    name: 'ConfigError',
    message: /AUTH_SECRETS or AUTH_KEYS_FILE, not both/,
  })
})

t.test('the dev key: generated once under DATA_DIR, never in production', async (t) => {
  const dir = await scratch(t)
  const dev = (await resolveSigningSecret(loadConfig({ DATA_DIR: dir })))!
  t.equal(dev.current.kid, undefined)
  t.same(await readdir(dir), ['dev-auth-secret'])
  t.same((await resolveSigningSecret(loadConfig({ DATA_DIR: dir })))!.current.secret, dev.current.secret, 'the same key the next time')

  // loadConfig refuses this environment already; the key resolver refuses it on its own too.
  const fresh = await scratch(t)
  const production = { ...loadConfig({ DATA_DIR: fresh }), production: true }
  await t.rejects(resolveSigningSecret(production), { name: 'ConfigError', message: /^Refusing to start: NODE_ENV=production/ })
  t.same(await readdir(fresh), [], 'no key file was written')
  t.type(
    await resolveSigningSecret({ ...production, auth: { ...production.auth, secret: OLD } }),
    'object',
    'production with AUTH_SECRET resolves',
  )
  t.equal(
    await resolveSigningSecret(
      loadConfig({ AUTH_JWKS_URL: 'https://idp.test/jwks', AUTH_ISSUER: 'https://idp.test', AUTH_AUDIENCE: 'baton', DATA_DIR: fresh }),
    ),
    undefined,
    'an external issuer only: no key of its own',
  )
})

t.test('signToken: the newest key signs and names itself; a jti when asked; no lifetime beyond the cap', async (t) => {
  const keys = (await resolveSigningSecret(loadConfig({ AUTH_SECRETS: `new:${NEW},old:${OLD}` })))!
  const now = new Date('2026-01-05T09:00:00Z')
  const token = await signToken(keys, { role: 'admin', now, jti: 'token-1' })
  t.same(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT', kid: 'new' })
  t.equal((await jwtVerify(token, bytes(NEW), { currentDate: now })).payload.jti, 'token-1')
  const legacy = await signToken(bytes(OLD), { role: 'admin', now })
  t.same(decodeProtectedHeader(legacy), { alg: 'HS256', typ: 'JWT' }, 'raw key bytes: no kid')
  t.notOk('jti' in decodeJwt(legacy), 'no jti unless asked')

  t.equal(
    decodeJwt(await signToken(keys, { role: 'admin', now, ttl: '30d' })).exp,
    now.getTime() / 1000 + 30 * 86_400,
    '30 days: the default cap',
  )
  await t.rejects(signToken(keys, { role: 'admin', now, ttl: '31d' }), RangeError, 'over 30 days by default: refused')
  await t.rejects(signToken(keys, { role: 'admin', now, ttl: '999999w' }), RangeError)
  const long = decodeJwt(await signToken(keys, { role: 'admin', now, ttl: '8w', maxTtlSeconds: 10 * 604_800 }))
  t.equal((long.exp ?? 0) - (long.iat ?? 0), 8 * 604_800, 'a raised cap lets a longer lifetime through')
})
