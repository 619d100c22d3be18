import { NOTIFICATION_QUEUE } from '../modules/notifications/fan-out.ts'
import type { Job } from './job.ts'

// Two fetchers of up to 20 jobs each; a fetch's notifications go out in one transaction
// (notification-sender.ts). A job landing NOTIFYs, so an offer's mail starts within
// milliseconds of the lead's commit, not at the next poll.
const FETCHERS = 2
const JOBS_PER_FETCH = 20

/**
 * Sends reps' notifications: the ones an append of events wrote (several per job), or one
 * due for a retry. Sending re-checks each notification under its row lock (sent ones are
 * skipped), so a job that runs twice sends nothing twice. Lost jobs are the timer backstop's.
 */
export const notificationSend: Job<typeof NOTIFICATION_QUEUE, { notificationIds: string[] }> = {
  name: NOTIFICATION_QUEUE,
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 600, expireInSeconds: 300, notify: true },
  fetch: {
    fetchers: FETCHERS,
    staggered: true,
    gatherMs: 25,
    pollingIntervalSeconds: 2,
    batchSize: JOBS_PER_FETCH,
    burstWhenBatchFull: true,
  },
  handler:
    ({ services }) =>
    async (jobs) => {
      await services.notifier.send(jobs.flatMap((job) => job.data.notificationIds))
    },
}
