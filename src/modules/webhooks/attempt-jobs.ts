import type { PgBoss } from 'pg-boss'
import type { Tx } from '../../db/client.ts'
import { inTx } from '../../lib/jobs.ts'

export const DELIVERY_QUEUE = 'webhook-delivery'

/** A delivery attempt job's data; the job's own id must still be the delivery's `nextJobId` when it runs. */
export interface AttemptJob {
  deliveryId: string
  /** Asked for through the API: uses no step of the automatic schedule. */
  manual?: boolean
}

/** The first attempt of new deliveries, due now: one insert for all, the job id being the delivery id. */
export async function queueFirstAttempts(tx: Tx, boss: PgBoss, deliveryIds: string[]): Promise<void> {
  if (deliveryIds.length === 0) return
  await boss.insert(DELIVERY_QUEUE, deliveryIds.map((id) => ({ id, data: { deliveryId: id } satisfies AttemptJob })), { db: inTx(tx) })
}

/**
 * Later attempts (retries, manual retries, replays), each with its own job id, due in
 * `delaySeconds` (measured on the service clock by the caller).
 */
export async function queueAttempts(
  tx: Tx,
  boss: PgBoss,
  attempts: Array<{ jobId: string; deliveryId: string; delaySeconds: number; manual?: boolean }>,
): Promise<void> {
  if (attempts.length === 0) return
  const jobs = attempts.map(({ jobId, deliveryId, delaySeconds, manual }) => ({
    id: jobId, data: { deliveryId, ...(manual ? { manual } : {}) } satisfies AttemptJob, ...(delaySeconds > 0 ? { startAfter: delaySeconds } : {}),
  }))
  await boss.insert(DELIVERY_QUEUE, jobs, { db: inTx(tx) })
}
