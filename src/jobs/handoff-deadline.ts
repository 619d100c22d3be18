import type { JobResult } from 'pg-boss'
import type { Job } from './job.ts'

/**
 * A handoff's acceptance deadline; the job id is the handoff id.
 *
 * Retried at once and then backing off (1 s, 2 s, 4 s … at most 5 min): a late expiry is a
 * late lead, but a handoff that fails every time must not spin. Past the retries, the timer
 * backstop takes it up. A worker that dies mid-job stops heartbeating; the job is then
 * retried, and the handler's lock-and-recheck makes the retry expire the handoff at most once.
 *
 * Fetched ten at a time by four fetchers polling in turn (between them every 125 ms), each
 * handoff in its own transaction; while batches come back full they fetch again at once, so
 * a deadline fires within a second of its time even when many fall together. Each job is
 * settled on its own (perJobResults): one handoff that fails is retried without failing the
 * nine that expired beside it.
 */
export const handoffDeadline: Job<'handoff-deadline', { handoffId: string }> = {
  name: 'handoff-deadline',
  queue: { retryLimit: 20, retryDelay: 1, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 60, heartbeatSeconds: 10 },
  fetch: { fetchers: 4, staggered: true, pollingIntervalSeconds: 0.5, batchSize: 10, burstWhenBatchFull: true, perJobResults: true },
  handler:
    ({ services, deps }) =>
    async (jobs) => {
      const results = await Promise.allSettled(jobs.map((job) => services.handoffs.expire(job.data.handoffId)))
      return jobs.map((job, i): JobResult => {
        const result = results[i]!
        if (result.status === 'fulfilled') return { id: job.id, status: 'completed', output: { outcome: result.value } }
        deps.logger.error(
          { err: result.reason, handoffId: job.data.handoffId, retry: job.retryCount },
          'deadline job failed; retried with backoff',
        )
        return { id: job.id, status: 'failed', output: { message: rootMessage(result.reason) } }
      })
    },
}

/** What went wrong, for a job's output: drizzle wraps a database error in one quoting the whole query. */
function rootMessage(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause
  if (cause instanceof Error) return cause.message
  return error instanceof Error ? error.message : String(error)
}
