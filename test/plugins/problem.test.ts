import { STATUS_CODES } from 'node:http'
import t, { type Test } from 'tap'
import pino from 'pino'
import type { LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../../src/config.ts'
import { signToken } from '../../src/lib/auth-keys.ts'
import { startServices } from '../../src/runtime.ts'
import { buildTestApp, TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const RFC9457 = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']

/** Asserts the answer is a complete problem+json of this status and code, and returns its body. */
function assertProblem(
  t: Test,
  res: LightMyRequestResponse,
  { status, code, instance }: { status: number; code: string; instance: string },
) {
  t.equal(res.statusCode, status, `${code}: HTTP status`)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${code}: problem+json`)
  const problem = res.json()
  const expected = problem.errors === undefined ? RFC9457 : [...RFC9457, 'errors']
  t.same(Object.keys(problem).sort(), [...expected].sort(), `${code}: exactly the problem members`)
  t.equal(problem.type, `urn:baton:problem:${code}`, `${code}: type`)
  t.equal(problem.title, STATUS_CODES[status], `${code}: title`)
  t.equal(problem.status, status, `${code}: status member equals the HTTP status`)
  t.equal(problem.code, code, `${code}: code`)
  t.equal(problem.instance, instance, `${code}: instance is the path`)
  t.ok(typeof problem.detail === 'string' && problem.detail.length > 0, `${code}: detail`)
  t.equal(problem.requestId, res.headers['x-request-id'], `${code}: requestId is the x-request-id header`)
  return problem
}

const pointers = (problem: { errors?: Array<{ pointer: string }> }) => (problem.errors ?? []).map((e) => e.pointer).sort()

t.test('problems', async (t) => {
  const baton = await buildTestApp(t)
  // buildTestApp hands the app back before it is ready, so a route can still be added.
  baton.app.get('/boom', { config: { auth: 'public' } }, async () => {
    throw new Error('password=hunter2 at db.internal')
  })
  const admin = await baton.auth('admin')
  const post = (payload: string | object, headers: Record<string, string> = {}, url = '/v1/reps') =>
    baton.app.inject({ method: 'POST', url, headers: { ...admin, 'content-type': 'application/json', ...headers }, payload })

  t.test('bad input is a 4xx problem, never a 500, and writes nothing', async (t) => {
    assertProblem(t, await post('{"name": "Ada", "email": '), { status: 400, code: 'malformed_json', instance: '/v1/reps' })
    assertProblem(t, await post('{name: "Ada"}'), { status: 400, code: 'malformed_json', instance: '/v1/reps' })

    const huge = JSON.stringify({ name: 'Ada', email: 'big@example.com', timezone: 'UTC', notes: 'x'.repeat(5 * 1024 * 1024) })
    assertProblem(t, await post(huge), { status: 413, code: 'body_too_large', instance: '/v1/reps' })

    const text = await post('name=Ada', { 'content-type': 'text/plain' })
    assertProblem(t, text, { status: 415, code: 'unsupported_media_type', instance: '/v1/reps' })

    for (const [label, payload] of [
      ['array', '[{"name":"Ada"}]'],
      ['string', '"Ada"'],
      ['number', '42'],
      ['null', 'null'],
    ] as const) {
      const res = await post(payload)
      const problem = assertProblem(t, res, { status: 422, code: 'validation_failed', instance: '/v1/reps' })
      t.same(pointers(problem), [''], `${label} body: points at the root`)
    }

    const wrongTypes = await post({ name: 5, email: true, timezone: ['UTC'], holidays: '2026-12-25', capacity: { maxPending: '3' } })
    const problem = assertProblem(t, wrongTypes, { status: 422, code: 'validation_failed', instance: '/v1/reps' })
    t.same(pointers(problem), ['/capacity/maxPending', '/email', '/holidays', '/name', '/timezone'])
    t.ok(
      problem.errors.every((e: { in: string; detail: string }) => e.in === 'body' && e.detail.length > 0),
      'each error says where and what',
    )

    const patchArray = await baton.app.inject({
      method: 'PATCH',
      url: '/v1/reps/01900000-0000-7000-8000-000000000000',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '[]',
    })
    t.equal(patchArray.statusCode, 422, 'an array where a patch object is expected')
    t.same(pointers(patchArray.json()), [''])

    const { rows } = await baton.deps.pool.query('select count(*)::int as n from reps')
    t.equal(rows[0].n, 0, 'the reps table is still empty')
  })

  t.test('a 404 for an unknown route is a problem too', async (t) => {
    assertProblem(t, await baton.app.inject({ url: '/v1/nowhere?x=1' }), { status: 404, code: 'route_not_found', instance: '/v1/nowhere' })
  })

  t.test('x-request-id', async (t) => {
    const ask = (headers: Record<string, string> = {}) => baton.app.inject({ url: '/v1/reps', headers })

    const generated = await ask()
    t.match(generated.headers['x-request-id'], UUID, 'generated when absent')
    assertProblem(t, generated, { status: 401, code: 'unauthorized', instance: '/v1/reps' })
    t.not((await ask()).headers['x-request-id'], generated.headers['x-request-id'], 'a new one per request')

    const echoed = await ask({ 'x-request-id': 'abc-123' })
    t.equal(echoed.headers['x-request-id'], 'abc-123', 'a sane caller id is echoed')
    t.equal(echoed.json().requestId, 'abc-123')
    t.equal((await ask({ ...admin, 'x-request-id': 'abc-123' })).headers['x-request-id'], 'abc-123', 'on success too')

    for (const [label, unsafe] of [
      ['300 characters', 'a'.repeat(300)],
      ['spaces', 'abc 123'],
      ['quotes and braces', '"}{"'],
      ['empty', ''],
    ] as const) {
      const res = await ask({ 'x-request-id': unsafe })
      t.match(res.headers['x-request-id'], UUID, `${label}: replaced with a generated id`)
      t.not(res.headers['x-request-id'], unsafe, `${label}: not echoed`)
      t.equal(res.json().requestId, res.headers['x-request-id'], `${label}: the problem names the same id`)
    }
  })

  t.test('a 500 reveals nothing', async (t) => {
    const res = await baton.app.inject({ url: '/boom' })
    const problem = assertProblem(t, res, { status: 500, code: 'internal_error', instance: '/boom' })
    t.notMatch(res.body, /hunter2/, 'no secret from the error message')
    t.notMatch(res.body, /db\.internal/, 'no host from the error message')
    t.notMatch(res.body, /at .*\.ts:\d+/, 'no stack trace')
    t.match(problem.detail, /requestId/, 'tells the caller what to quote')
  })
})

t.test('one log line per request, with its id and no credentials', async (t) => {
  const { url, drop } = await createTestDatabase()
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
  const config = loadConfig({ AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: url })
  const services = await startServices(config, url, { logger })
  t.teardown(async () => {
    await services.close()
    await drop()
  })
  services.app.get('/boom', { config: { auth: 'public' } }, async () => {
    throw new Error('password=hunter2 at db.internal')
  })

  const token = await signToken(new TextEncoder().encode(TEST_SECRET), { role: 'admin' })
  const requests = [
    { name: 'public', url: '/healthz', headers: {}, route: '/healthz', status: 200 },
    { name: 'authenticated', url: '/v1/reps?limit=5', headers: { authorization: `Bearer ${token}` }, route: '/v1/reps', status: 200 },
    {
      name: 'with a caller id',
      url: '/v1/reps',
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-42' },
      route: '/v1/reps',
      status: 200,
    },
    { name: 'refused token', url: '/v1/reps', headers: { authorization: 'Bearer leaky-credential-value' }, route: '/v1/reps', status: 401 },
    { name: 'failing route', url: '/boom', headers: { authorization: `Bearer ${token}` }, route: '/boom', status: 500 },
  ]
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)

  for (const request of requests) {
    const res = await services.app.inject({ url: request.url, headers: request.headers })
    t.equal(res.statusCode, request.status, `${request.name}: status`)
    await new Promise((resolve) => setImmediate(resolve)) // the line is written once the response has finished
    const requestId = res.headers['x-request-id']
    const completions = parsed().filter((entry) => entry.requestId === requestId && 'responseTimeMs' in entry)
    t.equal(completions.length, 1, `${request.name}: exactly one request line`)
    t.match(
      completions[0],
      { requestId, route: request.route, statusCode: request.status, responseTimeMs: Number },
      `${request.name}: the line names id, route, status and latency`,
    )
    if (request.status < 500) {
      t.equal(parsed().filter((entry) => entry.requestId === requestId).length, 1, `${request.name}: no other line for this request`)
    }
  }
  t.ok(
    parsed().some((entry) => entry.requestId === 'trace-42'),
    "the caller's own id is the one logged",
  )

  for (const line of lines) {
    t.notMatch(line, /authorization/i, 'no Authorization header in the log')
    t.notOk(line.includes(token) || line.includes('leaky-credential-value'), 'no bearer token in the log')
  }
})
