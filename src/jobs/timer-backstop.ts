import type { Job } from './job.ts'

/**
 * Every minute: fires the deadlines, overdue tasks and unrouted retries whose job was lost
 * (handoffs/timer-backstop.ts). Stately: a run that overlaps the next costs one, not two.
 */
export const timerBackstop: Job<'timer-backstop'> = {
  name: 'timer-backstop',
  queue: { policy: 'stately', retryLimit: 1, retryDelay: 30, expireInSeconds: 300 },
  schedule: () => '* * * * *',
  handler:
    ({ services }) =>
    async () => {
      await services.timerBackstop.run()
    },
}
