import type { JobResult, PgBoss } from 'pg-boss'
import { BOSS_SCHEMA } from './lib/boss.ts'
import type { ServiceDeps } from './lib/deps.ts'
import { createFetchers } from './lib/fetchers.ts'
import { sweepExpiredKeys } from './modules/idempotency/idempotency.ts'
import { createHandoffsService } from './modules/handoffs/handoffs.service.ts'
import { createTimerBackstop } from './modules/handoffs/timer-backstop.ts'
import { createAssigner } from './modules/routing/assign.ts'
import { createTasksService } from './modules/tasks/tasks.service.ts'
import { createRulesetCache } from './modules/routing/ruleset-cache.ts'
import { createUnroutedRouter } from './modules/routing/unrouted.ts'
import { createPredictiveService, createPredictor } from './modules/predictive/predictive.service.ts'
import { DELIVERY_QUEUE, LEGACY_DELIVERY_QUEUE, type AttemptJob } from './modules/webhooks/attempt-jobs.ts'
import { createDeliveryWorker } from './modules/webhooks/delivery-worker.ts'
import { createSender } from './modules/webhooks/sender.ts'
import { failStuckDeliveries } from './modules/webhooks/deliveries.repo.ts'

/** Cron schedules of the recurring jobs (pg-boss runs each once per tick across all instances). */
export const SCHEDULES = {
  'idempotency-sweep': '17 * * * *',
  // A backstop: each unrouted lead already has its retry job or waits for a change that sends a sweep.
  'routing-sweep': '41 * * * *',
  'webhook-stuck-sweep': '*/10 * * * *',
  'timer-backstop': '* * * * *',
} as const

/**
 * Registers the pg-boss handlers this instance runs (ROLE=worker|all). Each handler
 * re-reads its state and does nothing if the world has moved on, so a job that
 * runs twice or late is harmless.
 */
export async function registerWorkers(boss: PgBoss, deps: ServiceDeps): Promise<{ close(): Promise<void> }> {
  await boss.work('idempotency-sweep', async () => {
    await sweepExpiredKeys(deps.db, deps.clock.now())
  })
  const assigner = createAssigner({ ...deps, rulesets: createRulesetCache() })
  const unrouted = createUnroutedRouter({ ...deps, assigner })
  const handoffs = createHandoffsService({ ...deps, assigner })
  const fetchers = createFetchers(boss, BOSS_SCHEMA)
  // Deadlines are fetched ten at a time by four fetchers, which poll in turn (between them
  // every 125 ms), each handoff in its own transaction; while batches come back full they
  // fetch again at once, so a deadline fires within a second of its time even when many
  // fall together (npm run bench).
  // Each job is settled on its own (perJobResults): one handoff that fails is retried, with
  // backoff, without failing the nine that expired beside it.
  await fetchers.work<{ handoffId: string }>('handoff-deadline', { fetchers: 4, staggered: true, pollingIntervalSeconds: 0.5, batchSize: 10, burstWhenBatchFull: true, perJobResults: true }, async (jobs) => {
    const results = await Promise.allSettled(jobs.map((job) => handoffs.expire(job.data.handoffId)))
    return jobs.map((job, i): JobResult => {
      const result = results[i]!
      if (result.status === 'fulfilled') return { id: job.id, status: 'completed', output: { outcome: result.value } }
      deps.logger.error({ err: result.reason, handoffId: job.data.handoffId, retry: job.retryCount }, 'deadline job failed; retried with backoff')
      return { id: job.id, status: 'failed', output: { message: rootMessage(result.reason) } }
    })
  })
  const tasks = createTasksService(deps)
  const backstop = createTimerBackstop(deps, { handoffs, tasks, unrouted })
  await boss.work('timer-backstop', async () => {
    await backstop.run()
  })
  await boss.work<{ taskId: string }>('contact-overdue', { pollingIntervalSeconds: 1 }, async ([job]) => {
    await tasks.overdue(job!.data.taskId)
  })
  await boss.work<{ leadId: string }>('route-lead', async ([job]) => {
    await unrouted.retryLead(job!.data.leadId)
  })
  const sender = createSender({ allowPrivate: deps.config.webhooks.allowPrivate, timeoutMs: deps.config.webhooks.timeoutMs })
  const deliveries = createDeliveryWorker(deps, sender)
  // Up to 12 jobs (48 attempts) at a time per fetcher, four fetchers: one slow receiver holds up
  // its own batch (at most WEBHOOK_TIMEOUT_SECONDS), not the others. A NOTIFY wakes one
  // idle fetcher at once, and the ones that follow within 25 ms one more as it ends: under
  // load a fetch takes several leads' deliveries, not one lead's four. Polling is only for
  // retries, due later: the fetchers look in turn, one every half second (two fetches a
  // second; unstaggered, all four looked every half second, eight fetches a second idle).
  await fetchers.work<AttemptJob>(DELIVERY_QUEUE, { fetchers: 4, staggered: true, gatherMs: 25, pollingIntervalSeconds: 2, batchSize: 12, burstWhenBatchFull: true }, async (jobs) => {
    await deliveries.run(jobs)
  })
  // Jobs an older version queued (one delivery each): one fetcher, woken by their NOTIFY too.
  await fetchers.work<AttemptJob>(LEGACY_DELIVERY_QUEUE, { fetchers: 1, pollingIntervalSeconds: 2, batchSize: 50, burstWhenBatchFull: true }, async (jobs) => {
    await deliveries.run(jobs)
  })
  await boss.work('webhook-stuck-sweep', async () => {
    const failed = await failStuckDeliveries(deps.db, deps.clock.now())
    if (failed.length === 0) return
    deps.metrics.webhookDeliveries.inc({ outcome: 'failed' }, failed.length)
    deps.logger.warn({ deliveries: failed.length, first: failed.slice(0, 10) }, 'deliveries left pending by an ended job: failed, to retry or replay')
  })
  // Without it deliveries still go out, at the next half-second poll rather than at once.
  await fetchers.listen().catch((error: unknown) => deps.logger.warn({ err: error }, 'cannot LISTEN for new jobs; polling only'))
  await boss.work('routing-sweep', async () => {
    await unrouted.sweep()
  })
  const predictive = createPredictiveService({ ...deps, predictor: createPredictor(deps) })
  await boss.work('predictive-train', async () => {
    try {
      const model = await predictive.train()
      deps.logger.info({ version: model.version, samples: model.samples, auc: model.auc }, 'conversion model retrained')
    } catch (error) {
      // Too few outcomes yet (422), or a run already under way elsewhere (409): nothing to do, and nothing wrong.
      const status = (error as { statusCode?: number }).statusCode
      if (status !== 422 && status !== 409) throw error
      deps.logger.info({ reason: (error as Error).message }, 'conversion model not trained')
    }
  })
  for (const [queue, cron] of Object.entries({ ...SCHEDULES, 'predictive-train': deps.config.predictive.trainCron })) await boss.schedule(queue, cron)
  // After pg-boss has stopped (no attempt in flight): the listener, and the keep-alive connections to receivers.
  return {
    close: async () => {
      await fetchers.close()
      await sender.close()
    },
  }
}

/** What went wrong, for a job's output: drizzle wraps a database error in one quoting the whole query. */
function rootMessage(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause
  if (cause instanceof Error) return cause.message
  return error instanceof Error ? error.message : String(error)
}
