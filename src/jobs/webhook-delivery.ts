import { LEGACY_DELIVERY_QUEUE, type AttemptJob } from '../modules/webhooks/attempt-jobs.ts'
import { LEGACY_JOBS_PER_FETCH, POLL_SECONDS } from '../modules/webhooks/throughput.ts'
import type { Job } from './job.ts'

/**
 * Webhook attempts one delivery per job, as versions before 2026-12-01 queued them: still
 * worked, so an older instance's jobs are attempted, and never written to. A queue of its
 * own rather than a new data shape on this one: an older worker would complete a job it
 * cannot read and leave its deliveries pending.
 */
export const legacyWebhookDelivery: Job<typeof LEGACY_DELIVERY_QUEUE, AttemptJob> = {
  name: LEGACY_DELIVERY_QUEUE,
  queue: { retryLimit: 20, retryDelay: 5, expireInSeconds: 90, heartbeatSeconds: 10, notify: true },
  fetch: { fetchers: 1, pollingIntervalSeconds: POLL_SECONDS, batchSize: LEGACY_JOBS_PER_FETCH, burstWhenBatchFull: true },
  handler:
    ({ services }) =>
    async (jobs) => {
      await services.deliveryWorker.run(jobs)
    },
}
