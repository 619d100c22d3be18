import type { Job } from './job.ts'

/** A first-contact task's due time; the job id is the task id. */
export const contactOverdue: Job<'contact-overdue', { taskId: string }> = {
  name: 'contact-overdue',
  queue: { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 300 },
  fetch: { pollingIntervalSeconds: 1 },
  handler:
    ({ services }) =>
    async ([job]) => {
      await services.tasks.overdue(job!.data.taskId)
    },
}
