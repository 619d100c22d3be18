// Issue 17 item 12: one training run at a time across every instance (a PostgreSQL
// advisory lock held for the run), a 409 for the request that finds one running, and
// training's transaction exempt from the statement timeout API requests get.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { PUBLISH_LOCK_KEY, TRAINING_LOCK_KEY } from '../../src/modules/predictive/predictive.repo.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { PROBLEM } from '../helpers/handoffs.ts'
import { waitFor } from '../helpers/wait.ts'

/** Leads with outcomes enough to train on (PREDICTIVE_MIN_SAMPLES=10). */
async function history(baton: TestApp) {
  const { ok } = apiClient(baton)
  for (let i = 0; i < 12; i++) {
    const { lead } = await ok(
      'POST',
      '/v1/leads',
      { email: `buyer${i}@firm${i}.example`, industry: i % 2 ? 'fintech' : 'retail' },
      201,
      'integration',
    )
    await ok('POST', `/v1/leads/${lead.id}/outcome`, { result: i % 3 ? 'won' : 'lost' }, 200, 'integration')
  }
}

const versions = async (baton: TestApp) =>
  (await apiClient(baton).sql<{ n: number }>('select count(*)::int as n from predictive_models'))[0]!.n

t.test('two trainings at once: one trains, the other is 409', async (t) => {
  const baton = await buildTestApp(t, { env: { PREDICTIVE_MIN_SAMPLES: '10', ROLE: 'api' } })
  const { call, sql } = apiClient(baton)
  await history(baton)
  // The first run is held at its publish (the publish lock is taken elsewhere), so the second surely overlaps it.
  const elsewhere = await baton.deps.pool.connect()
  let first: ReturnType<typeof call>
  try {
    await elsewhere.query('select pg_advisory_lock($1)', [PUBLISH_LOCK_KEY])
    first = call('POST', '/v1/predictive/train')
    const waiting = await waitFor(
      async () => (await sql<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted"))[0]!.n,
      5000,
      10,
    )
    t.equal(waiting, 1, 'the first run is under way, holding the training lock')
    const refused = await call('POST', '/v1/predictive/train')
    t.equal(refused.statusCode, 409, 'the second is refused')
    t.equal(refused.headers['content-type'], PROBLEM)
    t.match(refused.json(), { status: 409, code: 'conflict', detail: /A training run is in progress/ })
    await elsewhere.query('select pg_advisory_unlock($1)', [PUBLISH_LOCK_KEY])
  } finally {
    elsewhere.release()
  }
  t.equal((await first).statusCode, 200, 'the first run trains')
  t.equal(await versions(baton), 1, 'exactly one new model version')
  t.match((await call('POST', '/v1/predictive/train')).json(), { version: 2 }, 'once it ended, the next run trains')
})

t.test('a run on another instance (or the scheduled job) holds the lock: 409 until it ends', async (t) => {
  const baton = await buildTestApp(t, { env: { PREDICTIVE_MIN_SAMPLES: '10', ROLE: 'api' } })
  const { call } = apiClient(baton)
  await history(baton)
  const elsewhere = await baton.deps.pool.connect()
  try {
    await elsewhere.query('select pg_advisory_lock($1)', [TRAINING_LOCK_KEY])
    const refused = await call('POST', '/v1/predictive/train')
    t.equal(refused.statusCode, 409)
    t.match(refused.json(), { detail: /in progress/ })
    t.equal(await versions(baton), 0)
    await elsewhere.query('select pg_advisory_unlock($1)', [TRAINING_LOCK_KEY])
  } finally {
    elsewhere.release()
  }
  t.match((await call('POST', '/v1/predictive/train')).json(), { version: 1 })
})

t.test("training is not cut off by the API's statement timeout", async (t) => {
  const baton = await buildTestApp(t, { env: { PREDICTIVE_MIN_SAMPLES: '10', ROLE: 'api', DATABASE_STATEMENT_TIMEOUT_MS: '50' } })
  const { call, sql } = apiClient(baton)
  await history(baton)
  // A statement of the run that takes longer than the API's 50 ms: publishing waits on the publish lock, held elsewhere.
  const elsewhere = await baton.deps.pool.connect()
  let training: ReturnType<typeof call>
  try {
    await elsewhere.query('select pg_advisory_lock($1)', [PUBLISH_LOCK_KEY])
    training = call('POST', '/v1/predictive/train')
    const waiting = await waitFor(
      async () => (await sql<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted"))[0]!.n,
      5000,
      10,
    )
    t.equal(waiting, 1, 'the run waits on the publish lock')
    await sleep(200) // four times the API's limit
    await elsewhere.query('select pg_advisory_unlock($1)', [PUBLISH_LOCK_KEY])
  } finally {
    elsewhere.release()
  }
  const trained = await training
  t.equal(trained.statusCode, 200, trained.body)
  t.equal(await versions(baton), 1)
})
