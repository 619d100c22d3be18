import type { Job } from './job.ts'

/**
 * An away rep's awayUntil: at that instant they are available again (rep.available). Sent in
 * the transaction that set it; the handler re-checks under the rep's row lock, and a job for
 * an awayUntil since changed does nothing. Lost ones are the timer backstop's.
 */
export const repAwayUntil: Job<'rep-away-until', { repId: string; awayUntil: string }> = {
  name: 'rep-away-until',
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 300 },
  fetch: { pollingIntervalSeconds: 1 },
  handler:
    ({ services }) =>
    async ([job]) => {
      await services.reps.returnFromAway(job!.data.repId, job!.data.awayUntil)
    },
}
