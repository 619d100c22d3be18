import { PgBoss } from 'pg-boss'
import type { Config } from '../config.ts'
import { connectionClass } from '../db/client.ts'

/** The pg-boss schema inside Baton's database. */
export const BOSS_SCHEMA = 'pgboss'

/**
 * A pg-boss on Baton's database. Only worker instances supervise (maintenance,
 * monitoring) and run schedules; API-only instances just enqueue.
 */
export function createBoss(
  url: string,
  { role, max = 5, prepare = true }: { role: Config['role']; max?: number; prepare?: boolean },
): PgBoss {
  const works = role !== 'api'
  return new PgBoss({
    connectionString: url,
    // pg-boss's own statements too, prepared once per connection (db/client.ts): pg-boss
    // hands its options to pg.Pool, whose `Client` option this is, though pg-boss does not
    // type it (test/lib/fetchers.test.ts checks it still arrives).
    ...({ Client: connectionClass(prepare) } as object),
    schema: BOSS_SCHEMA,
    application_name: 'baton-jobs',
    max,
    migrate: true,
    supervise: works,
    // A job whose worker died (no heartbeat for 10 s) is only put back by a supervise pass,
    // and the default passes are a minute apart: a deadline would then fire a minute late.
    ...(works ? { superviseIntervalSeconds: 10, monitorIntervalSeconds: 10 } : {}),
    schedule: works,
    // Jobs on a `notify` queue still NOTIFY when they land, but pg-boss's listener would
    // wake every fetcher of the queue; workers listen with lib/fetchers.ts instead, which
    // wakes one, so a webhook delivery starts the moment its event commits.
    useListenNotify: false,
  })
}
