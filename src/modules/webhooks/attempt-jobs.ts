import type { PgBoss } from 'pg-boss'
import type { Tx } from '../../db/client.ts'
import { inTx } from '../../lib/jobs.ts'

export const DELIVERY_QUEUE = 'webhook-attempts'
/** One delivery per job (`deliveryId`), as older versions queue them: worked, never written to. */
export const LEGACY_DELIVERY_QUEUE = 'webhook-delivery'

/**
 * A delivery attempt job's data: the deliveries it attempts, each only if the job is still
 * its `nextJobId` when it runs. First attempts name several, a retry one. `deliveryId`
 * instead: a job on the legacy queue.
 */
export interface AttemptJob {
  deliveryIds?: string[]
  deliveryId?: string
  /** Asked for through the API: uses no step of the automatic schedule. */
  manual?: boolean
}

/** The deliveries a job attempts. */
export const deliveriesOf = (job: AttemptJob): string[] => job.deliveryIds ?? (job.deliveryId ? [job.deliveryId] : [])

/**
 * The first attempts of new deliveries, due now, in one insert: one job per `jobId`, which
 * the statement that made the deliveries gave each group as their `nextJobId`.
 */
export async function queueFirstAttempts(tx: Tx, boss: PgBoss, deliveries: Array<{ id: string; jobId: string }>): Promise<void> {
  if (deliveries.length === 0) return
  const byJob = new Map<string, string[]>()
  for (const { id, jobId } of deliveries) {
    const ids = byJob.get(jobId)
    if (ids) ids.push(id)
    else byJob.set(jobId, [id])
  }
  const jobs = [...byJob].map(([id, deliveryIds]) => ({ id, data: { deliveryIds } satisfies AttemptJob }))
  await boss.insert(DELIVERY_QUEUE, jobs, { db: inTx(tx) })
}

/**
 * Later attempts (retries, manual retries), each with its own job id, due in `delaySeconds`
 * (measured on the service clock by the caller). Retries are jittered, so no two share a time.
 */
export async function queueAttempts(
  tx: Tx,
  boss: PgBoss,
  attempts: Array<{ jobId: string; deliveryId: string; delaySeconds: number; manual?: boolean }>,
): Promise<void> {
  if (attempts.length === 0) return
  const jobs = attempts.map(({ jobId, deliveryId, delaySeconds, manual }) => ({
    id: jobId,
    data: { deliveryIds: [deliveryId], ...(manual ? { manual } : {}) } satisfies AttemptJob,
    ...(delaySeconds > 0 ? { startAfter: delaySeconds } : {}),
  }))
  await boss.insert(DELIVERY_QUEUE, jobs, { db: inTx(tx) })
}
