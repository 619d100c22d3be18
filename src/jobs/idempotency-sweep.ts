import { sweepExpiredKeys } from '../modules/idempotency/idempotency.ts'
import type { Job } from './job.ts'

/** Hourly: forget Idempotency-Keys older than 24 h. */
export const idempotencySweep: Job<'idempotency-sweep'> = {
  name: 'idempotency-sweep',
  queue: { retryLimit: 2, retryDelay: 60 },
  schedule: () => '17 * * * *',
  handler:
    ({ deps }) =>
    async () => {
      await sweepExpiredKeys(deps.db, deps.clock.now())
    },
}
