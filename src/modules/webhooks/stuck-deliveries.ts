import { sql } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { DELIVERY_QUEUE, LEGACY_DELIVERY_QUEUE } from './attempt-jobs.ts'

/** A delivery due this long ago whose job has ended is not merely late. */
export const STUCK_AFTER_MS = 15 * 60 * 1000
/** Deliveries one sweep looks at, at most; the next sweep takes the rest. */
const SWEEP_LIMIT = 1000

/**
 * Fails the deliveries still pending whose next job has ended without deciding them: it failed
 * past its retries (a batch that kept failing), or is gone. They said nothing and stayed pending
 * for good; failed, with the reason, they show in the API and the metrics, and a retry or a
 * replay sends them. A job still waiting, running or due for a retry is left to run.
 */
export async function failStuckDeliveries(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.execute<{ id: string }>(sql`
    update webhook_deliveries d set
      status = 'failed', next_job_id = null, next_attempt_at = null, updated_at = ${now},
      last_error = 'its attempt job ended without deciding it (' || coalesce(s.job_state, 'gone') || '); retry or replay it'
    from (
      select p.id, j.state::text as job_state from webhook_deliveries p
      left join pgboss.job j on j.name = any(${sql.param([DELIVERY_QUEUE, LEGACY_DELIVERY_QUEUE])}::text[]) and j.id = p.next_job_id
      where p.status = 'pending' and p.next_attempt_at < ${new Date(now.getTime() - STUCK_AFTER_MS)}
        and (j.id is null or j.state::text in ('completed', 'cancelled', 'failed'))
      order by p.next_attempt_at limit ${SWEEP_LIMIT}
      for update of p skip locked
    ) s
    where d.id = s.id
    returning d.id`)
  return rows.map((r) => r.id)
}
