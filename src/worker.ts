import type { PgBoss } from 'pg-boss'
import { EVERY_JOB } from './jobs/index.ts'
import { BOSS_SCHEMA } from './lib/boss.ts'
import type { ServiceDeps } from './lib/deps.ts'
import { createFetchers } from './lib/fetchers.ts'
import type { Services } from './services.ts'

/**
 * Registers the handler of every job (src/jobs) on this instance (ROLE=worker|all), and the
 * schedules of the recurring ones. A job with `fetchers` is fetched by that many fetchers
 * woken as a group (lib/fetchers.ts); the others by pg-boss's own worker.
 */
export async function registerWorkers(boss: PgBoss, services: Services, deps: ServiceDeps): Promise<{ close(): Promise<void> }> {
  const fetchers = createFetchers(boss, BOSS_SCHEMA)
  for (const job of EVERY_JOB) {
    const handler = job.handler({ services, deps })
    const { fetchers: count, ...options } = job.fetch ?? {}
    if (count) await fetchers.work(job.name, { fetchers: count, ...options }, handler)
    else await boss.work(job.name, options, handler)
  }
  // Without it deliveries still go out, at the next poll rather than at once.
  await fetchers.listen().catch((error: unknown) => deps.logger.warn({ err: error }, 'cannot LISTEN for new jobs; polling only'))
  for (const job of EVERY_JOB) if (job.schedule) await boss.schedule(job.name, job.schedule(deps.config))
  return { close: () => fetchers.close() }
}
