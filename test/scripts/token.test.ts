// `npm run token`: a JWT alone on stdout, or exit 2 with the usage on stderr.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import t from 'tap'
import { runScript, type ScriptResult } from '../helpers/run-script.ts'
import { LOCAL_AUDIENCE, LOCAL_ISSUER, signToken } from '../../src/lib/auth-keys.ts'

const SECRET = 'token-test-secret-long-enough-for-hs256'
const REP_ID = '01900000-0000-7000-8000-000000000001'
const USAGE = /usage: npm run -s token -- --role admin\|integration\|rep/


/** Runs the script as a user's shell would, with only the Baton variables given here. */
function token(args: string[], extra: Record<string, string>, dataDir: string): Promise<ScriptResult> {
  return runScript(t, 'scripts/token.ts', args, { DATA_DIR: dataDir, ...extra })
}

t.test('npm run token', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-token-test-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const withSecret = (args: string[]) => token(args, { AUTH_SECRET: SECRET }, dataDir)

  t.test('prints exactly one JWT line carrying the claims asked for', async (t) => {
    const cases: Array<[string, string[], { role: string; sub?: string; ttl: number }]> = [
      ['admin, default ttl 1h', ['--role', 'admin'], { role: 'admin', ttl: 3600 }],
      ['integration', ['--role', 'integration'], { role: 'integration', ttl: 3600 }],
      ['rep with its id', ['--role', 'rep', '--sub', REP_ID], { role: 'rep', sub: REP_ID, ttl: 3600 }],
      ['--ttl 30m', ['--role', 'admin', '--ttl', '30m'], { role: 'admin', ttl: 1800 }],
      ['--ttl 7d', ['--role', 'integration', '--ttl', '7d'], { role: 'integration', ttl: 7 * 86_400 }],
      ['--sub=… form', ['--role=rep', `--sub=${REP_ID}`], { role: 'rep', sub: REP_ID, ttl: 3600 }],
    ]
    const results = await Promise.all(cases.map(([, args]) => withSecret(args)))
    cases.forEach(([name, , expected], i) => {
      const { code, stdout, stderr } = results[i]!
      t.equal(code, 0, `${name}: exits 0`, { stderr })
      t.match(stdout, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/, `${name}: stdout is one JWT line`)
      t.equal(stderr, '', `${name}: nothing on stderr`)
      const claims = decodeJwt(stdout.trim())
      t.equal(claims.role, expected.role, `${name}: role`)
      t.equal(claims.sub, expected.sub, `${name}: sub`)
      t.equal(claims.iss, LOCAL_ISSUER, `${name}: iss`)
      t.equal(claims.aud, LOCAL_AUDIENCE, `${name}: aud`)
      t.ok(Math.abs((claims.iat ?? 0) - Date.now() / 1000) < 60, `${name}: issued now`)
      t.equal((claims.exp ?? 0) - (claims.iat ?? 0), expected.ttl, `${name}: exp = iat + ${expected.ttl}`)
      t.equal(decodeProtectedHeader(stdout.trim()).alg, 'HS256', `${name}: HS256`)
    })
  })

  t.test('the signature verifies with AUTH_SECRET, and only with it', async (t) => {
    const { stdout } = await withSecret(['--role', 'admin'])
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(SECRET), { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE })
    t.equal(payload.role, 'admin')
    await t.rejects(jwtVerify(stdout.trim(), new TextEncoder().encode(`${SECRET}-other`)), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })

  t.test('the ttl counts from the issue time, whatever "now" is', async (t) => {
    // signToken is what the script calls; given an explicit `now` (a test's manual clock),
    // exp must still be iat + ttl, or the script's exp drifts by a second at a boundary.
    const secret = new TextEncoder().encode(SECRET)
    const now = new Date('2026-01-05T09:00:00Z')
    for (const [ttl, seconds] of [['30m', 1800], ['1h', 3600], [90, 90]] as const) {
      const claims = decodeJwt(await signToken(secret, { role: 'admin', ttl, now }))
      t.equal(claims.iat, now.getTime() / 1000, `ttl ${ttl}: iat is now`)
      t.equal(claims.exp, now.getTime() / 1000 + seconds, `ttl ${ttl}: exp = now + ${seconds}`)
    }
  })

  t.test('bad arguments: exit 2, usage on stderr, nothing on stdout', async (t) => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no --role', [], /--role must be one of admin, integration, rep/],
      ['--role rep without --sub', ['--role', 'rep'], /rep token needs --sub/],
      ['--role rep with a --sub that is not a UUID', ['--role', 'rep', '--sub', 'alice'], /rep token needs --sub/],
      ['--role superuser', ['--role', 'superuser'], /--role must be one of/],
      ['--ttl forever', ['--role', 'admin', '--ttl', 'forever'], /--ttl "forever" is not a duration/],
      ['--ttl without a unit', ['--role', 'admin', '--ttl', '3600'], /--ttl "3600" is not a duration/],
      ['an unknown flag', ['--role', 'admin', '--admin'], /--admin/],
      ['a positional argument', ['admin'], /admin/],
      ['--role without a value', ['--role'], /--role/],
    ]
    const results = await Promise.all(cases.map(([, args]) => withSecret(args)))
    cases.forEach(([name, , reason], i) => {
      const { code, stdout, stderr } = results[i]!
      t.equal(code, 2, `${name}: exits 2`)
      t.equal(stdout, '', `${name}: nothing on stdout`)
      t.match(stderr, /^token: /, `${name}: stderr says which command failed`)
      t.match(stderr, reason, `${name}: and why`)
      t.match(stderr, USAGE, `${name}: and the usage`)
    })
  })

  t.test('an invalid environment is refused before anything is signed', async (t) => {
    const { code, stdout, stderr } = await token(['--role', 'admin'], { AUTH_SECRET: 'short' }, dataDir)
    t.not(code, 0)
    t.equal(stdout, '')
    t.match(stderr, /AUTH_SECRET/)
  })

  t.test('with an external issuer and no AUTH_SECRET, tokens come from the identity provider', async (t) => {
    const env = { AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', AUTH_ISSUER: 'https://idp.example.com/' }
    const { code, stdout, stderr } = await token(['--role', 'admin'], env, dataDir)
    t.not(code, 0, 'exits non-zero')
    t.equal(stdout, '', 'prints no token')
    t.match(stderr, /identity provider/, 'explains where tokens come from')
  })

  t.test('without AUTH_SECRET: signs with the dev key kept under DATA_DIR, the same key each time', async (t) => {
    const first = await token(['--role', 'admin'], {}, dataDir)
    const second = await token(['--role', 'integration'], {}, dataDir)
    t.equal(first.code, 0, 'exits 0', { stderr: first.stderr })
    t.equal(second.code, 0)
    const key = new TextEncoder().encode((await readFile(path.join(dataDir, 'dev-auth-secret'), 'utf8')).trim())
    t.ok(key.length >= 32, 'the dev key is long enough for HS256')
    t.equal((await jwtVerify(first.stdout.trim(), key)).payload.role, 'admin')
    t.equal((await jwtVerify(second.stdout.trim(), key)).payload.role, 'integration', 'the key is reused, not regenerated')
  })
})
