import { NOTIFICATION_QUEUE } from '../modules/notifications/fan-out.ts'
import type { Job } from './job.ts'

/**
 * Sends reps' notifications: the ones an append of events wrote (several per job), or one
 * due for a retry. Sending re-checks each notification under its row lock (sent ones are
 * skipped), so a job that runs twice sends nothing twice. Lost jobs are the timer backstop's.
 */
export const notificationSend: Job<typeof NOTIFICATION_QUEUE, { notificationIds: string[] }> = {
  name: NOTIFICATION_QUEUE,
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 600, expireInSeconds: 300 },
  fetch: { pollingIntervalSeconds: 1, batchSize: 5 },
  handler:
    ({ services }) =>
    async (jobs) => {
      for (const job of jobs) await services.notifier.send(job.data.notificationIds)
    },
}
