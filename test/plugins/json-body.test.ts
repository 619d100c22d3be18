// Input the drill's fuzz phase found answered with 500s, non-problem bodies or writes:
// each is now a 4xx problem+json that names what is wrong, and nothing is stored.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'

function problem(t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string) {
  t.equal(res.statusCode, status, `${code}: status`)
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${code}: problem+json`)
  const body = JSON.parse(res.body) as {
    status: number
    code: string
    detail: string
    requestId: string
    errors?: Array<{ in: string; pointer: string; detail: string }>
  }
  t.equal(body.status, status, `${code}: status member`)
  t.equal(body.code, code, `${code}: code`)
  t.equal(body.requestId, res.headers['x-request-id'], `${code}: requestId is the x-request-id header`)
  return body
}

t.test('JSON bodies Baton cannot store', async (t) => {
  const baton = await buildTestApp(t)
  const { call, ok, sql } = apiClient(baton)
  const admin = await baton.auth('admin')
  const raw = (url: string, payload: string | Buffer, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    baton.app.inject({ method: 'POST', url, headers: { ...admin, 'content-type': 'application/json', ...headers }, payload })
  const counts = async () =>
    (
      await sql<{ reps: number; leads: number }>(
        'select (select count(*) from reps)::int as reps, (select count(*) from leads)::int as leads',
      )
    )[0]!

  t.test('NUL in a text field or a member name: 422 naming it, nothing written', async (t) => {
    const before = await counts()
    const name = problem(
      t,
      await call('POST', '/v1/reps', { name: 'a\u0000b', email: 'nul@example.com', timezone: 'Europe/Berlin' }),
      422,
      'validation_failed',
    )
    t.same(name.errors, [{ in: 'body', pointer: '/name', detail: 'must not contain the NUL character (\\u0000)' }])
    const key = problem(
      t,
      await call('POST', '/v1/leads', { email: 'x@acme.io', custom: { 'k\u0000': 'v' } }, 'integration'),
      422,
      'validation_failed',
    )
    t.equal(key.errors?.[0]?.pointer, '/custom/k\u0000')
    t.match(key.errors?.[0]?.detail, /member name that contains the NUL character/)
    t.same(await counts(), before, 'no rep, no lead')
  })

  t.test('an unpaired surrogate: 422 (PostgreSQL would store U+FFFD instead)', async (t) => {
    const res = await raw('/v1/reps', '{"name":"x\\ud800y","email":"s@example.com","timezone":"Europe/Berlin"}')
    t.same(
      problem(t, res, 422, 'validation_failed').errors?.map((e) => e.pointer),
      ['/name'],
    )
    const pair = await raw('/v1/reps', '{"name":"emoji \\ud83d\\ude00","email":"e@example.com","timezone":"Europe/Berlin"}')
    t.equal(pair.statusCode, 201, 'a proper surrogate pair is text like any other')
    t.equal(pair.json().name, 'emoji 😀')
  })

  t.test('bytes that are not UTF-8: 400 malformed_json, not silently U+FFFD', async (t) => {
    const before = await counts()
    const body = Buffer.concat([
      Buffer.from('{"name":"bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","email":"u@example.com","timezone":"Europe/Berlin"}'),
    ])
    t.match(problem(t, await raw('/v1/reps', body), 400, 'malformed_json').detail, /UTF-8/)
    t.same(await counts(), before)
  })

  t.test('nesting past 64 levels: 422 at the level that is too deep, for any depth', async (t) => {
    for (const levels of [65, 5_000, 10_000]) {
      const deep = `{"email":"deep${levels}@acme.io","custom":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`
      const res = problem(t, await raw('/v1/leads', deep, await baton.auth('integration')), 422, 'validation_failed')
      t.match(res.errors?.[0]?.detail, /nests deeper than 64 levels/, `${levels} levels`)
      t.match(res.errors?.[0]?.pointer, /^\/custom\/x(\/0)+$/)
    }
    const fine = `{"email":"deep-ok@acme.io","custom":{"x":${'['.repeat(40)}${']'.repeat(40)}}}`
    t.equal((await raw('/v1/leads', fine, await baton.auth('integration'))).statusCode, 201, '40 levels are fine')
    problem(
      t,
      await call('POST', '/v1/routing/simulate', {
        lead: JSON.parse(`{"email":"s@acme.io","custom":{"x":${'['.repeat(100)}${']'.repeat(100)}}}`),
      }),
      422,
      'validation_failed',
    )
  })

  t.test('a JSON null body is a bad body, not "no body"', async (t) => {
    const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.test/x' }, 201)
    const secrets = async () => (await sql('select secrets from webhook_endpoints where id = $1', [endpoint.id]))[0].secrets
    const before = await secrets()
    problem(t, await raw(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, 'null'), 422, 'validation_failed')
    t.same(await secrets(), before, 'not rotated')
    t.equal(
      (await baton.app.inject({ method: 'POST', url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, headers: admin })).statusCode,
      200,
      'no body at all still rotates',
    )
  })

  t.test('a ruleset version beyond integer range: 400, not a database error', async (t) => {
    for (const version of ['2147483648', '99999999999999999999']) {
      problem(t, await call('GET', `/v1/routing/versions/${version}`), 400, 'validation_failed')
    }
    problem(t, await call('GET', '/v1/routing/versions/2147483647'), 404, 'not_found')
  })

  t.test('URLs the router cannot take: problem+json too', async (t) => {
    problem(t, await call('GET', '/v1/reps/%zz'), 400, 'bad_url')
    problem(t, await call('GET', '/v1/reps/%ED%A0%80'), 400, 'bad_url')
    problem(t, await call('GET', `/v1/reps/${'x'.repeat(300)}`), 414, 'path_too_long')
  })

  t.test('headers over 16 KB: 431 problem+json on the socket, with a request id', async (t) => {
    await baton.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = baton.app.server.address() as AddressInfo
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET /v1/reps HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      )
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    const [head = '', body = ''] = answer.split('\r\n\r\n')
    t.match(head, /^HTTP\/1\.1 431 /)
    t.match(head, /content-type: application\/problem\+json/i)
    const requestId = /x-request-id: (\S+)/i.exec(head)?.[1]
    t.same(JSON.parse(body), {
      type: 'urn:baton:problem:headers_too_large',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: JSON.parse(body).detail,
      instance: '/',
      code: 'headers_too_large',
      requestId,
    })
  })
})
