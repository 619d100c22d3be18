import t from 'tap'
import { sweepExpiredKeys } from '../src/modules/idempotency/idempotency.ts'
import { SCHEDULES } from '../src/worker.ts'
import { buildTestApp } from './helpers/app.ts'

t.test('worker instances schedule the idempotency sweep, which forgets only expired keys', async (t) => {
  const baton = await buildTestApp(t)
  const schedules = await baton.deps.boss.getSchedules('idempotency-sweep')
  t.same(schedules.map((s) => s.cron), [SCHEDULES['idempotency-sweep']])

  const { pool, clock } = { pool: baton.deps.pool, clock: baton.clock }
  const now = clock.now()
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3600 * 1000)
  for (const [key, hoursAgo] of [['fresh', 1], ['almost', 23.9], ['stale', 24.1], ['ancient', 24 * 30]] as const) {
    await pool.query("insert into idempotency_keys (scope, key, fingerprint, status, body, created_at) values ('s', $1, 'f', 201, '{}', $2)", [key, at(hoursAgo)])
  }
  t.equal(await sweepExpiredKeys(baton.deps.db, now), 2)
  const { rows } = await pool.query('select key from idempotency_keys order by key')
  t.same(rows.map((r) => r.key), ['almost', 'fresh'])
})

t.test('API-only instances run no jobs', async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  t.same(await baton.deps.boss.getSchedules('idempotency-sweep'), [], 'nothing scheduled by an api instance')
})
