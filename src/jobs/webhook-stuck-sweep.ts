import { failStuckDeliveries } from '../modules/webhooks/deliveries.repo.ts'
import type { Job } from './job.ts'

/** Every 10 minutes: fail, visibly, the deliveries a job left pending when it ended. */
export const webhookStuckSweep: Job<'webhook-stuck-sweep'> = {
  name: 'webhook-stuck-sweep',
  queue: { retryLimit: 2, retryDelay: 60 },
  schedule: () => '*/10 * * * *',
  handler:
    ({ deps }) =>
    async () => {
      const failed = await failStuckDeliveries(deps.db, deps.clock.now())
      if (failed.length === 0) return
      deps.metrics.webhookDeliveries.inc({ outcome: 'failed' }, failed.length)
      deps.logger.warn(
        { deliveries: failed.length, first: failed.slice(0, 10) },
        'deliveries left pending by an ended job: failed, to retry or replay',
      )
    },
}
