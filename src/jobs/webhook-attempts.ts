import { DELIVERY_QUEUE, type AttemptJob } from '../modules/webhooks/attempt-jobs.ts'
import { DELIVERY_FETCHERS, GATHER_MS, JOBS_PER_FETCH, POLL_SECONDS } from '../modules/webhooks/throughput.ts'
import type { Job } from './job.ts'

/**
 * Attempts of webhook deliveries: a job names the deliveries it attempts (first attempts of
 * deliveries made together share one). The retry schedule is Baton's own
 * (WEBHOOK_RETRY_SCHEDULE): pg-boss retries only a batch whose worker died or whose results
 * could not be written. NOTIFY wakes a fetcher at once. How fast: webhooks/throughput.ts.
 */
export const webhookAttempts: Job<typeof DELIVERY_QUEUE, AttemptJob> = {
  name: DELIVERY_QUEUE,
  queue: { retryLimit: 20, retryDelay: 5, expireInSeconds: 90, heartbeatSeconds: 10, notify: true },
  fetch: {
    fetchers: DELIVERY_FETCHERS,
    staggered: true,
    gatherMs: GATHER_MS,
    pollingIntervalSeconds: POLL_SECONDS,
    batchSize: JOBS_PER_FETCH,
    burstWhenBatchFull: true,
  },
  handler:
    ({ services }) =>
    async (jobs) => {
      await services.deliveryWorker.run(jobs)
    },
}
