import type { Job } from './job.ts'

/**
 * A reminder before a handoff's deadline (handoff.reminder): one job per reminder, sent in the
 * handoff's own transaction. The handler re-checks under the handoff's row lock, so a reminder
 * goes out once, and never after the handoff was answered or expired. Lost ones are the timer
 * backstop's.
 */
export const handoffReminder: Job<'handoff-reminder', { handoffId: string; beforeSeconds: number }> = {
  name: 'handoff-reminder',
  queue: { retryLimit: 10, retryDelay: 1, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 60 },
  fetch: { pollingIntervalSeconds: 1, batchSize: 10 },
  handler:
    ({ services }) =>
    async (jobs) => {
      for (const job of jobs) await services.handoffs.remind(job.data.handoffId, job.data.beforeSeconds)
    },
}
