import type { Job } from './job.ts'

/** One unrouted lead, tried again when its earliest candidate's working window opens. */
export const routeLead: Job<'route-lead', { leadId: string }> = {
  name: 'route-lead',
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true },
  handler:
    ({ services }) =>
    async ([job]) => {
      await services.unrouted.retryLead(job!.data.leadId)
    },
}
