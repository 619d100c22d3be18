// `npm run token`: a JWT alone on stdout, or exit 2 with the usage on stderr.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
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
      t.notOk(decodeProtectedHeader(stdout.trim()).kid, `${name}: AUTH_SECRET alone: no kid, as before`)
      t.match(claims.jti, /^[\w-]{16,}$/, `${name}: a random jti`)
    })
    t.equal(new Set(results.map((r) => decodeJwt(r.stdout.trim()).jti)).size, cases.length, 'every token its own jti')
  })

  t.test('--ttl over TOKEN_TTL_MAX (30 days unless raised): exit 2 with one line naming the cap', async (t) => {
    const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['--ttl 999999w', ['--role', 'admin', '--ttl', '999999w'], {}, /the cap of 30d/],
      ['--ttl 31d', ['--role', 'integration', '--ttl', '31d'], {}, /the cap of 30d/],
      ['--ttl 8w under TOKEN_TTL_MAX=6w', ['--role', 'admin', '--ttl', '8w'], { TOKEN_TTL_MAX: '6w' }, /the cap of 6w/],
    ]
    const results = await Promise.all(cases.map(([, args, env]) => token(args, { AUTH_SECRET: SECRET, ...env }, dataDir)))
    cases.forEach(([name, , , cap], i) => {
      const { code, stdout, stderr } = results[i]!
      t.equal(code, 2, `${name}: exits 2`)
      t.equal(stdout, '', `${name}: prints no token`)
      t.match(stderr, /^token: --ttl \S+ is over/, `${name}: says what was refused`)
      t.match(stderr, cap, `${name}: names the cap`)
      t.match(stderr, /TOKEN_TTL_MAX/, `${name}: and how to raise it`)
      t.equal(stderr.trimEnd().split('\n').length, 1, `${name}: in one line`)
    })
    const atCap = await withSecret(['--role', 'admin', '--ttl', '30d'])
    t.equal(atCap.code, 0, '--ttl 30d is the cap itself: minted')
    const raised = await token(['--role', 'admin', '--ttl', '8w'], { AUTH_SECRET: SECRET, TOKEN_TTL_MAX: '10w' }, dataDir)
    t.equal(raised.code, 0, 'TOKEN_TTL_MAX=10w lets --ttl 8w through', { stderr: raised.stderr })
    const claims = decodeJwt(raised.stdout.trim())
    t.equal((claims.exp ?? 0) - (claims.iat ?? 0), 8 * 604_800)
  })

  t.test('with several keys: signs with the newest, its kid in the header', async (t) => {
    const newest = `${SECRET}-2026-06`
    const older = `${SECRET}-2026-01`
    const keysFile = path.join(dataDir, 'auth-keys')
    await writeFile(keysFile, `# newest first\nfile-new:${newest}\n\nfile-old:${older}\n`, { mode: 0o600 })
    const sources: Array<[string, Record<string, string>, string]> = [
      ['AUTH_SECRETS', { AUTH_SECRETS: `2026-06:${newest},2026-01:${older}` }, '2026-06'],
      ['AUTH_KEYS_FILE', { AUTH_KEYS_FILE: keysFile }, 'file-new'],
      ['AUTH_SECRETS beside AUTH_SECRET', { AUTH_SECRETS: `2026-06:${newest}`, AUTH_SECRET: older }, '2026-06'],
    ]
    for (const [name, env, kid] of sources) {
      const { code, stdout, stderr } = await token(['--role', 'admin'], env, dataDir)
      t.equal(code, 0, `${name}: exits 0`, { stderr })
      t.same(decodeProtectedHeader(stdout.trim()), { alg: 'HS256', typ: 'JWT', kid }, `${name}: kid ${kid}`)
      t.equal(
        (await jwtVerify(stdout.trim(), new TextEncoder().encode(newest))).payload.role,
        'admin',
        `${name}: signed with the newest key`,
      )
    }
    const both = await token(['--role', 'admin'], { AUTH_SECRETS: `2026-06:${newest}`, AUTH_KEYS_FILE: keysFile }, dataDir)
    t.equal(both.code, 2, 'AUTH_SECRETS and AUTH_KEYS_FILE together: refused')
    t.match(both.stderr, /AUTH_SECRETS or AUTH_KEYS_FILE, not both/)
    const missing = await token(['--role', 'admin'], { AUTH_KEYS_FILE: path.join(dataDir, 'nowhere') }, dataDir)
    t.equal(missing.code, 2, 'an unreadable AUTH_KEYS_FILE: refused')
    t.match(missing.stderr, /^token: Invalid environment: AUTH_KEYS_FILE .*nowhere.* cannot be read/)
  })

  t.test('NODE_ENV=production without a key of its own: refused, and no dev key is generated', async (t) => {
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'baton-token-prod-'))
    t.teardown(() => rm(fresh, { recursive: true, force: true }))
    const { code, stdout, stderr } = await token(['--role', 'admin'], { NODE_ENV: 'production' }, fresh)
    t.not(code, 0)
    t.equal(stdout, '')
    t.match(stderr, /Refusing to start: NODE_ENV=production needs AUTH_SECRET/)
    t.same(await readdir(fresh), [], 'nothing written under DATA_DIR')
  })

  t.test('the signature verifies with AUTH_SECRET, and only with it', async (t) => {
    const { stdout } = await withSecret(['--role', 'admin'])
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(SECRET), { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE })
    t.equal(payload.role, 'admin')
    await t.rejects(jwtVerify(stdout.trim(), new TextEncoder().encode(`${SECRET}-other`)), {
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
  })

  t.test('the ttl counts from the issue time, whatever "now" is', async (t) => {
    // signToken is what the script calls; given an explicit `now` (a test's manual clock),
    // exp must still be iat + ttl, or the script's exp drifts by a second at a boundary.
    const secret = new TextEncoder().encode(SECRET)
    const now = new Date('2026-01-05T09:00:00Z')
    for (const [ttl, seconds] of [
      ['30m', 1800],
      ['1h', 3600],
      [90, 90],
    ] as const) {
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
    const env = {
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'baton',
    }
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
