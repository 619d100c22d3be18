// Slow clients on real sockets: a request must arrive within REQUEST_TIMEOUT_SECONDS, a
// silent socket is dealt with after CONNECTION_TIMEOUT_SECONDS, and close() is bounded by
// SHUTDOWN_TIMEOUT_SECONDS however slow a client is.
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.ts'
import { startServices } from '../../src/runtime.ts'
import { buildTestApp, TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { slowClient, type SlowClientResult } from '../helpers/slow-client.ts'

const portOf = (address: AddressInfo | string | null) => (address as AddressInfo).port

const leadHead = (token: string, contentLength: number) =>
  `POST /v1/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`

function assertTimeoutProblem(t: Test, result: SlowClientResult) {
  t.equal(result.status, 408, 'answered 408', { result })
  t.match(result.headers['content-type'], /^application\/problem\+json/)
  t.equal(result.headers['x-content-type-options'], 'nosniff')
  t.match(
    JSON.parse(result.body || '{}'),
    { status: 408, code: 'request_timeout', detail: /not received in time/ },
    'a problem a client can act on',
  )
}

t.test('a body trickled past REQUEST_TIMEOUT_SECONDS is cut off with a 408', async (t) => {
  const baton = await buildTestApp(t, { env: { REQUEST_TIMEOUT_SECONDS: '1', CONNECTION_TIMEOUT_SECONDS: '5' } })
  await baton.app.listen({ port: 0, host: '127.0.0.1' })
  // One byte every 200 ms: never silent for long, but the 100 bytes would take 20 s.
  const result = await slowClient({
    port: portOf(baton.app.server.address()),
    head: leadHead(await baton.token('integration'), 100),
    bodyBytes: 100,
    everyMs: 200,
    giveUpMs: 8_000,
  })
  t.ok(result.closedByServer, 'the server closed the connection')
  t.ok(result.elapsedMs < 3_000, `within the timeout and Node's check interval (${result.elapsedMs} ms)`)
  assertTimeoutProblem(t, result)
})

t.test('a client that falls silent mid-body gets a 408 after CONNECTION_TIMEOUT_SECONDS', async (t) => {
  const baton = await buildTestApp(t, { env: { REQUEST_TIMEOUT_SECONDS: '60', CONNECTION_TIMEOUT_SECONDS: '1' } })
  await baton.app.listen({ port: 0, host: '127.0.0.1' })
  const result = await slowClient({
    port: portOf(baton.app.server.address()),
    head: leadHead(await baton.token('integration'), 10),
    giveUpMs: 8_000,
  })
  t.ok(result.closedByServer, 'the server closed the connection')
  t.ok(result.elapsedMs >= 900 && result.elapsedMs < 3_000, `after about a second (${result.elapsedMs} ms)`)
  assertTimeoutProblem(t, result)
})

t.test('silent sockets with nothing owed: closed without an answer; a slow handler is not cut off', async (t) => {
  const baton = await buildTestApp(t, { env: { REQUEST_TIMEOUT_SECONDS: '60', CONNECTION_TIMEOUT_SECONDS: '1' } })
  // Its request has fully arrived; the silence is the server's, so the client must get its answer.
  baton.app.get('/test/slow', { config: { auth: 'public' } }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    return { done: true }
  })
  await baton.app.listen({ port: 0, host: '127.0.0.1' })
  const port = portOf(baton.app.server.address())

  const [never, keptAlive, slow] = await Promise.all([
    slowClient({ port, head: '', giveUpMs: 8_000 }),
    slowClient({ port, head: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', giveUpMs: 3_000 }),
    slowClient({ port, head: 'GET /test/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', giveUpMs: 8_000 }),
  ])
  t.ok(never.closedByServer && never.elapsedMs < 3_000, `a connection that never sends is closed (${never.elapsedMs} ms)`)
  t.equal(never.status, undefined, 'with nothing written to it')
  t.equal(keptAlive.status, 200, 'a kept-alive connection had its answer')
  // Between requests Node gives a socket fastify's keepAliveTimeout (72 s) instead, as load balancers expect.
  t.notOk(keptAlive.closedByServer, 'and, idle past CONNECTION_TIMEOUT_SECONDS, is left to the keep-alive timeout')
  t.notMatch(keptAlive.body, /HTTP\/1\.1/, 'with no second, unasked-for answer (no 408 on an idle socket)')
  t.equal(slow.status, 200, `a handler working past CONNECTION_TIMEOUT_SECONDS still answers (${slow.elapsedMs} ms)`)
  t.match(JSON.parse(slow.body), { done: true })
})

t.test('close() with a trickling client: bounded by SHUTDOWN_TIMEOUT_SECONDS, then pg-boss and the pool stop', async (t) => {
  const { url, drop } = await createTestDatabase()
  t.teardown(drop)
  const config = loadConfig({
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    REQUEST_TIMEOUT_SECONDS: '120',
    CONNECTION_TIMEOUT_SECONDS: '120',
    SHUTDOWN_TIMEOUT_SECONDS: '1',
  })
  const services = await startServices(config, url)
  await services.app.listen({ port: 0, host: '127.0.0.1' })
  const bossStopped = new Promise<true>((resolve) => services.deps.boss.once('stopped', () => resolve(true)))
  // The inbound endpoint is public and reads its whole body before anything else happens.
  const trickling = slowClient({
    port: portOf(services.app.server.address()),
    head: 'POST /v1/inbound/0190a000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    bodyBytes: 1000,
    everyMs: 100,
    giveUpMs: 15_000,
  })
  await new Promise((resolve) => setTimeout(resolve, 500))

  const started = Date.now()
  await services.close()
  const took = Date.now() - started
  t.ok(took < 5_000, `close() returned in ${took} ms (1 s for requests, then the jobs and the pool)`)
  const client = await trickling
  t.ok(
    client.closedByServer && client.elapsedMs < 5_000,
    `the trickling client was disconnected (${client.elapsedMs} ms after it connected)`,
  )
  t.equal(await Promise.race([bossStopped, new Promise((resolve) => setTimeout(() => resolve(false), 1_000))]), true, 'pg-boss stopped')
  t.ok(services.deps.pool.ended, 'the pool is ended')
  t.equal(services.deps.pool.totalCount, 0, 'with no connection left')
})
