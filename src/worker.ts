import type { PgBoss } from 'pg-boss'
import type { ServiceDeps } from './lib/deps.ts'
import { sweepExpiredKeys } from './modules/idempotency/idempotency.ts'

/** Cron schedules of the recurring jobs (pg-boss runs each once per tick across all instances). */
export const SCHEDULES = { 'idempotency-sweep': '17 * * * *' } as const

/**
 * Registers the pg-boss handlers this instance runs (ROLE=worker|all). Each handler
 * re-reads its state and does nothing if the world has moved on, so a job that
 * runs twice or late is harmless.
 */
export async function registerWorkers(boss: PgBoss, deps: ServiceDeps): Promise<void> {
  await boss.work('idempotency-sweep', async () => {
    await sweepExpiredKeys(deps.db, deps.clock.now())
  })
  for (const [queue, cron] of Object.entries(SCHEDULES)) await boss.schedule(queue, cron)
}
