import t from 'tap'
import { sweepExpiredKeys } from '../src/modules/idempotency/idempotency.ts'
import { idempotencySweep } from '../src/jobs/idempotency-sweep.ts'
import { buildTestApp } from './helpers/app.ts'
import { waitFor } from './helpers/wait.ts'

t.test('worker instances schedule the idempotency sweep, which forgets only expired keys', async (t) => {
  const baton = await buildTestApp(t)
  const schedules = await baton.deps.boss.getSchedules('idempotency-sweep')
  t.same(
    schedules.map((s) => s.cron),
    [idempotencySweep.schedule!(baton.config)],
  )

  const { pool, clock } = { pool: baton.deps.pool, clock: baton.clock }
  const now = clock.now()
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3600 * 1000)
  for (const [key, hoursAgo] of [
    ['fresh', 1],
    ['almost', 23.9],
    ['stale', 24.1],
    ['ancient', 24 * 30],
  ] as const) {
    await pool.query(
      "insert into idempotency_keys (scope, key, fingerprint, status, body, created_at) values ('s', $1, 'f', 201, '{}', $2)",
      [key, at(hoursAgo)],
    )
  }
  t.equal(await sweepExpiredKeys(baton.deps.db, now), 2)
  const { rows } = await pool.query('select key from idempotency_keys order by key')
  t.same(
    rows.map((r) => r.key),
    ['almost', 'fresh'],
  )
})

t.test('API-only instances run no jobs', async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  t.same(await baton.deps.boss.getSchedules('idempotency-sweep'), [], 'nothing scheduled by an api instance')
})

t.test('the conversion model is retrained on PREDICTIVE_TRAIN_CRON; with too few outcomes the job does nothing', async (t) => {
  const baton = await buildTestApp(t, { env: { PREDICTIVE_TRAIN_CRON: '15 4 * * 1' } })
  t.same(
    (await baton.deps.boss.getSchedules('predictive-train')).map((s) => s.cron),
    ['15 4 * * 1'],
  )
  const id = await baton.deps.boss.send('predictive-train', {})
  const job = await waitFor(async () => {
    const found = await baton.deps.boss.getJobById('predictive-train', id!)
    return found?.state === 'completed' ? found : undefined
  }, 10_000)
  t.equal(job?.state, 'completed', 'no outcomes yet: completed, not failed')
  t.same((await baton.deps.pool.query('select count(*)::int as n from predictive_models')).rows, [{ n: 0 }], 'and no model')
})
