import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose'
import Fastify, { type LightMyRequestResponse } from 'fastify'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../src/lib/auth-keys.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { authPlugin } from '../../src/plugins/auth.ts'
import { buildTestApp, TEST_SECRET } from '../helpers/app.ts'

const secret = new TextEncoder().encode(TEST_SECRET)
const HOUR_MS = 60 * 60 * 1000

/** An HS256 token shaped like Baton's own, with every part overridable; `expires: false` leaves out `exp`. */
function localToken(
  claims: JWTPayload,
  { key = secret, issuer = LOCAL_ISSUER, audience = LOCAL_AUDIENCE, now = new Date('2026-01-05T09:00:00Z'), expires = true } = {},
) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(issuer).setAudience(audience).setIssuedAt(now)
  if (expires) jwt.setExpirationTime(Math.floor(now.getTime() / 1000) + 3600)
  return jwt.sign(key)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function assertProblem(t: Test, res: LightMyRequestResponse, status: 401 | 403, label: string) {
  const code = status === 401 ? 'unauthorized' : 'forbidden'
  t.equal(res.statusCode, status, `${label}: status`)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${label}: problem+json`)
  const problem = res.json()
  t.match(
    problem,
    { type: `urn:baton:problem:${code}`, status, code, instance: (res.raw.req.url ?? '').split('?')[0], detail: String },
    `${label}: problem body`,
  )
  if (status === 401) t.equal(res.headers['www-authenticate'], 'Bearer realm="baton"', `${label}: www-authenticate`)
  else t.notOk(res.headers['www-authenticate'], `${label}: no www-authenticate on 403`)
}

t.test('config: an external issuer must be named, with the audience its tokens carry', async (t) => {
  t.throws(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.test/jwks.json' }), ConfigError)
  t.throws(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.test/jwks.json' }), /AUTH_ISSUER/)
  t.throws(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.test/jwks.json', AUTH_ISSUER: 'https://idp.test' }), /AUTH_AUDIENCE/)
  t.doesNotThrow(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.test/jwks.json', AUTH_ISSUER: 'https://idp.test', AUTH_AUDIENCE: 'baton' }))
})

t.test('local tokens', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')
  const get = (url: string, headers: Record<string, string> = {}) => baton.app.inject({ url, headers })

  t.test('401: no usable bearer token', async (t) => {
    const otherKey = new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256')
    const cases: Array<[string, Record<string, string>]> = [
      ['no Authorization header', {}],
      ['Basic scheme', { authorization: 'Basic xyz' }],
      ['Bearer without a token', { authorization: 'Bearer' }],
      ['not a JWT', bearer('not-a-jwt')],
      ['signed with another secret', bearer(await localToken({ role: 'admin' }, { key: otherKey }))],
      ['wrong issuer', bearer(await localToken({ role: 'admin' }, { issuer: 'someone-else' }))],
      ['wrong audience', bearer(await localToken({ role: 'admin' }, { audience: 'another-api' }))],
      [
        'unsigned (alg none)',
        bearer(
          `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"admin"}').toString('base64url')}.`,
        ),
      ],
    ]
    for (const [label, headers] of cases) assertProblem(t, await get('/v1/reps', headers), 401, label)
  })

  t.test('401: an expired token', async (t) => {
    const now = baton.clock.now()
    const stale = await localToken({ role: 'admin' }, { now: new Date(now.getTime() - 2 * HOUR_MS) })
    const res = await get('/v1/reps', bearer(stale))
    assertProblem(t, res, 401, 'expired an hour ago')
    t.match(res.json().detail, /expired/)
  })

  t.test('401: a token that never expires', async (t) => {
    const res = await get('/v1/reps', bearer(await localToken({ role: 'admin' }, { now: baton.clock.now(), expires: false })))
    assertProblem(t, res, 401, 'no exp claim')
    t.match(res.json().detail, /"exp"/, 'says the expiry is missing')
  })

  t.test('401: a Baton-issued token expires an hour after it was issued, by the injected clock', async (t) => {
    const token = await baton.token('admin')
    const claims = decodeJwt(token)
    t.equal(claims.iat, Math.floor(baton.clock.now().getTime() / 1000), 'issued at the injected now')
    t.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600, 'exp is iat + 1h')
    t.equal((await get('/v1/reps', bearer(token))).statusCode, 200, 'valid while fresh')
    baton.clock.advance(HOUR_MS + 60_000)
    t.teardown(() => baton.clock.advance(-(HOUR_MS + 60_000)))
    const res = await get('/v1/reps', bearer(token))
    assertProblem(t, res, 401, 'an hour and a minute later')
    t.match(res.json().detail, /expired/)
  })

  t.test('403: a valid token without a Baton role', async (t) => {
    assertProblem(t, await get('/v1/reps', bearer(await localToken({}))), 403, 'no role claim')
    assertProblem(t, await get('/v1/reps', bearer(await localToken({ role: 'superuser' }))), 403, 'role superuser')
    assertProblem(t, await get('/v1/reps', bearer(await localToken({ role: ['admin'] }))), 403, 'role not a string')
  })

  t.test('403: a rep token must name its rep', async (t) => {
    assertProblem(t, await get('/v1/reps/01900000-0000-7000-8000-000000000000', await baton.auth('rep')), 403, 'rep without sub')
    assertProblem(
      t,
      await get('/v1/reps/01900000-0000-7000-8000-000000000000', bearer(await localToken({ role: 'rep', sub: 'ada' }))),
      403,
      'rep with a sub that is no id',
    )
  })

  t.test('per-route roles', async (t) => {
    const create = (headers: Record<string, string>, email: string) =>
      baton.app.inject({ method: 'POST', url: '/v1/reps', headers, payload: { name: 'Rep', email, timezone: 'UTC' } })
    const own = (await create(admin, 'own@example.com')).json()
    const other = (await create(admin, 'other@example.com')).json()

    const integration = await baton.auth('integration')
    t.equal((await get('/v1/reps', integration)).statusCode, 200, 'integration may list reps')
    assertProblem(t, await create(integration, 'nope@example.com'), 403, 'integration creating a rep')

    const rep = await baton.auth('rep', own.id)
    const mine = await get(`/v1/reps/${own.id}`, rep)
    t.equal(mine.statusCode, 200, 'a rep reads itself')
    t.equal(mine.json().id, own.id)
    assertProblem(t, await get(`/v1/reps/${other.id}`, rep), 403, 'a rep reading another rep')
    assertProblem(t, await get('/v1/reps', rep), 403, 'a rep listing reps')
    assertProblem(t, await create(rep, 'nope2@example.com'), 403, 'a rep creating a rep')

    const count = await baton.deps.pool.query('select count(*)::int as n from reps')
    t.equal(count.rows[0].n, 2, 'refused creates wrote nothing')
  })

  t.test('a rep token whose sub is its id in capitals is that rep', async (t) => {
    const rep = (
      await baton.app.inject({
        method: 'POST',
        url: '/v1/reps',
        headers: admin,
        payload: { name: 'Caps', email: 'caps@example.com', timezone: 'UTC' },
      })
    ).json()
    const res = await get(`/v1/reps/${rep.id}`, await baton.auth('rep', rep.id.toUpperCase()))
    t.equal(res.statusCode, 200, 'reads itself')
    t.equal(res.json().id, rep.id)
  })

  t.test('public routes need no token', async (t) => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) t.equal((await get(url)).statusCode, 200, url)
    const docs = await get('/docs')
    t.ok(docs.statusCode < 400, `/docs answers ${docs.statusCode}`)
    if (docs.statusCode >= 300) {
      const followed = await get(String(docs.headers.location))
      t.equal(followed.statusCode, 200, `/docs redirect target ${docs.headers.location}`)
    }
  })

  t.test('an unknown route is 404 with or without a token', async (t) => {
    for (const headers of [{}, { authorization: 'Basic xyz' }, admin]) {
      const res = await get('/v1/nowhere', headers)
      t.equal(res.statusCode, 404)
      t.match(res.json(), { code: 'route_not_found', status: 404, instance: '/v1/nowhere' })
      t.notOk(res.headers['www-authenticate'])
    }
  })
})

/** Serves a JWKS on 127.0.0.1 (random port) for the external-issuer tests. */
async function serveJwks(t: Test, keys: object[]): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
}

t.test('external issuer (JWKS)', async (t) => {
  const kid = 'idp-key-1'
  const idp = await generateKeyPair('RS256')
  const impostor = await generateKeyPair('RS256')
  const jwksUrl = await serveJwks(t, [{ ...(await exportJWK(idp.publicKey)), kid, alg: 'RS256', use: 'sig' }])
  const baton = await buildTestApp(t, { env: { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: 'https://idp.test', AUTH_AUDIENCE: 'baton' } })

  const external = (key: CryptoKey, { role = 'admin', issuer = 'https://idp.test', audience = 'baton', expires = true } = {}) => {
    const jwt = new SignJWT({ role })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('user-42')
      .setIssuedAt(baton.clock.now())
    if (expires) jwt.setExpirationTime(Math.floor(baton.clock.now().getTime() / 1000) + 600)
    return jwt.sign(key)
  }
  const get = async (headers: Record<string, string>) => baton.app.inject({ url: '/v1/reps', headers })

  t.equal((await get(bearer(await external(idp.privateKey)))).statusCode, 200, "the issuer's admin token is accepted")
  assertProblem(t, await get(bearer(await external(idp.privateKey, { audience: 'someone-else' }))), 401, 'wrong audience')
  assertProblem(t, await get(bearer(await external(idp.privateKey, { issuer: 'https://evil.test' }))), 401, 'wrong issuer')
  assertProblem(t, await get(bearer(await external(impostor.privateKey))), 401, 'another key under the same kid')
  assertProblem(t, await get(bearer(await external(idp.privateKey, { role: 'superuser' }))), 403, 'external token without a Baton role')
  const forever = await get(bearer(await external(idp.privateKey, { expires: false })))
  assertProblem(t, forever, 401, 'external token without exp')
  t.match(forever.json().detail, /"exp"/)
  const noAudience = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer('https://idp.test')
    .setIssuedAt(baton.clock.now())
    .setExpirationTime(Math.floor(baton.clock.now().getTime() / 1000) + 600)
    .sign(idp.privateKey)
  assertProblem(t, await get(bearer(noAudience)), 401, 'external token without aud')
  t.equal((await get(await baton.auth('admin'))).statusCode, 200, 'local HS256 tokens still work beside the JWKS')
})

t.test('the auth plugin itself refuses an external issuer without an issuer and audience to check', async (t) => {
  for (const auth of [
    { jwksUrl: 'https://idp.test/jwks.json', issuer: 'https://idp.test' },
    { jwksUrl: 'https://idp.test/jwks.json', audience: 'baton' },
  ]) {
    const app = Fastify()
    app.register(authPlugin, { config: { auth: { ...auth, tokenTtlMaxSeconds: 3600 } }, signingSecret: undefined, clock: manualClock() })
    await t.rejects(async () => app.ready(), /AUTH_ISSUER and AUTH_AUDIENCE/, JSON.stringify(auth))
    await app.close()
  }
})
