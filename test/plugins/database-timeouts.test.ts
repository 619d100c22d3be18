// Issue 17 item 12: API statements have a time limit (DATABASE_STATEMENT_TIMEOUT_MS) and so does
// the wait for a pooled connection (DATABASE_POOL_TIMEOUT_MS). Either running out is a 503
// problem+json with Retry-After that names the cause, not a 500 and not a request that hangs.
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import type pg from 'pg'
import t from 'tap'
import { allowLongStatements } from '../../src/db/client.ts'
import { isDatabaseUnavailable, isPoolExhausted, isStatementCancelled } from '../../src/db/errors.ts'
import { buildTestApp } from '../helpers/app.ts'

/** The answer, or 'no answer' when none came within `ms` (a hung request must fail the test, not stall it). */
async function within<T>(ms: number, pending: Promise<T>): Promise<T | 'no answer'> {
  const timer = sleep(ms, 'no answer' as const, { ref: false })
  return Promise.race([pending, timer])
}

t.test('a statement past DATABASE_STATEMENT_TIMEOUT_MS is cancelled: 503 statement_timeout', async (t) => {
  const baton = await buildTestApp(t, { env: { DATABASE_STATEMENT_TIMEOUT_MS: '50', ROLE: 'api' } })
  const { db } = baton.deps
  // Slow for real, through the API's own pool: a statement that sleeps a second.
  baton.app.get('/slow', { config: { auth: 'public' } }, async () => (await db.execute(sql`select pg_sleep(1) as slept`)).rows)
  baton.app.get('/slow-in-a-transaction', { config: { auth: 'public' } }, async () =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      return (await tx.execute(sql`select pg_sleep(1) as slept`)).rows
    }),
  )
  await baton.app.ready()

  for (const url of ['/slow', '/slow-in-a-transaction']) {
    const started = Date.now()
    const res = await within(5000, baton.app.inject({ method: 'GET', url }))
    if (res === 'no answer') throw new Error(`${url}: no answer`)
    t.equal(res.statusCode, 503, url)
    t.ok(Date.now() - started < 900, `${url}: cut off before the second was up (${Date.now() - started} ms)`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.equal(res.headers['retry-after'], '2')
    t.match(res.json(), { status: 503, code: 'statement_timeout', detail: /DATABASE_STATEMENT_TIMEOUT_MS/ })
  }
  const rows = await db.transaction(async (tx) => {
    await allowLongStatements(tx)
    return (await tx.execute<{ slept: string }>(sql`select pg_sleep(0.2)::text as slept`)).rows
  })
  t.same(rows, [{ slept: '' }], 'background work lifts the limit for its own transaction')
  const {
    rows: [after],
  } = await baton.deps.pool.query<{ timeout: string }>("select current_setting('statement_timeout') as timeout")
  t.equal(after?.timeout, '50ms', "and the connection goes back to the pool with the API's limit")
})

t.test('no free connection within DATABASE_POOL_TIMEOUT_MS: 503 database_busy', async (t) => {
  const baton = await buildTestApp(t, { env: { DATABASE_POOL_TIMEOUT_MS: '200', ROLE: 'api' } })
  const { pool } = baton.deps
  await baton.app.ready()
  const held: pg.PoolClient[] = []
  try {
    // Every connection the pool may open (createDb's max of 10), held by someone else.
    while (held.length < pool.options.max) held.push(await pool.connect())
    const started = Date.now()
    const res = await within(5000, baton.app.inject({ method: 'GET', url: '/v1/reps', headers: await baton.auth('admin') }))
    if (res === 'no answer') throw new Error('GET /v1/reps: no answer while the pool was exhausted')
    const took = Date.now() - started
    t.equal(res.statusCode, 503)
    t.ok(took >= 150 && took < 2000, `answered after the pool timeout, within its bound (${took} ms)`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.equal(res.headers['retry-after'], '2')
    t.match(res.json(), { status: 503, code: 'database_busy', detail: /DATABASE_POOL_TIMEOUT_MS/ })
  } finally {
    for (const client of held) client.release()
  }
  t.equal(
    (await baton.app.inject({ method: 'GET', url: '/v1/reps', headers: await baton.auth('admin') })).statusCode,
    200,
    'with connections free again, 200',
  )
})

t.test('what each error is', async (t) => {
  const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })
  t.ok(isStatementCancelled(cancelled))
  t.ok(isStatementCancelled(Object.assign(new Error('Failed query: select pg_sleep(1)'), { cause: cancelled })), 'wrapped by drizzle')
  t.notOk(isDatabaseUnavailable(cancelled), 'a cancelled statement is not an outage')
  const exhausted = new Error('timeout exceeded when trying to connect')
  t.ok(isPoolExhausted(exhausted))
  t.ok(isPoolExhausted(Object.assign(new Error('Failed query: select 1'), { cause: exhausted })), 'wrapped by drizzle')
  t.notOk(
    isPoolExhausted(new Error('Connection terminated due to connection timeout')),
    'a connect that timed out is the server not answering',
  )
  t.notOk(isStatementCancelled(Object.assign(new Error('x'), { code: '23505' })))
})
