import type { Job } from './job.ts'

/**
 * Every unrouted lead, tried again after a change that may make someone eligible (a rep,
 * team, account or ruleset changed). Stately: at most one waiting, so a burst of changes
 * costs one sweep. Hourly too, as a backstop: each unrouted lead already has its retry job
 * or waits for a change that sends a sweep.
 */
export const routingSweep: Job<'routing-sweep'> = {
  name: 'routing-sweep',
  queue: { policy: 'stately', retryLimit: 5, retryDelay: 5, retryBackoff: true },
  schedule: () => '41 * * * *',
  handler:
    ({ services }) =>
    async () => {
      await services.unrouted.sweep()
    },
}
