import type { Tx } from '../../db/client.ts'
import type { DeliveryStatus, webhookAttempts, WebhookEndpointRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { newId } from '../../lib/ids.ts'
import { appendEvents } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { deliveriesOf, queueAttempts, type AttemptJob } from './attempt-jobs.ts'
import * as repo from './deliveries.repo.ts'
import * as endpoints from './endpoints.repo.ts'
import { active } from './endpoints.service.ts'
import { payloadOf, signedHeaders } from './payload.ts'
import { DISABLE_AFTER_MS, nextStep } from './retry-policy.ts'
import type { AttemptResult, Sender } from './sender.ts'
import { slackMessage } from './slack.ts'

interface AttemptedDelivery {
  loaded: repo.LoadedDelivery
  jobId: string
  manual: boolean
  /** Undefined when no request was made (the endpoint is disabled). */
  attempt?: { at: Date; result: AttemptResult }
}

/**
 * The delivery queues' job handler: makes a batch's attempts concurrently (a job may
 * name several deliveries), then writes every outcome in one transaction (attempts,
 * delivery states, retry jobs, endpoint health). A job no longer a delivery's next one
 * leaves that delivery alone.
 */
export function createDeliveryWorker(
  { db, boss, clock, config, metrics, logger }: Pick<ServiceDeps, 'db' | 'boss' | 'clock' | 'config' | 'metrics' | 'logger'>,
  sender: Sender,
) {
  const schedule = config.webhooks.retrySchedule

  async function attempt(loaded: repo.LoadedDelivery): Promise<AttemptedDelivery['attempt']> {
    const { endpoint, event } = loaded
    if (!endpoint.enabled) return undefined
    const at = clock.now()
    const reader = { acceptLinks: endpoint.includeAcceptLinks }
    const body = endpoint.kind === 'slack' ? slackMessage(event, reader) : payloadOf(event, reader)
    const headers = signedHeaders(event.id, body, active(endpoint.secrets, at), at)
    return { at, result: await sender.post(endpoint.url, headers, body) }
  }

  async function run(jobs: Array<{ id: string; data: AttemptJob }>): Promise<void> {
    const wanted = jobs.flatMap((job) => deliveriesOf(job.data).map((deliveryId) => ({ deliveryId, job })))
    const loaded = new Map(
      (
        await repo.loadForAttempt(
          db,
          wanted.map((w) => w.deliveryId),
        )
      ).map((row) => [row.delivery.id, row]),
    )
    const due = wanted.flatMap(({ deliveryId, job }) => {
      const row = loaded.get(deliveryId)
      return row && row.delivery.status === 'pending' && row.delivery.nextJobId === job.id ? [{ row, job }] : []
    })
    if (due.length === 0) return
    const made: AttemptedDelivery[] = await Promise.all(
      due.map(async ({ row, job }) => ({
        loaded: row,
        jobId: job.id,
        manual: job.data.manual === true,
        attempt: await attempt(row),
      })),
    )
    const settled = await db.transaction((tx) => record(tx, made))
    for (const { attempt } of made) {
      if (attempt) metrics.webhookAttempts.observe({ result: attempt.result.errorClass ?? 'success' }, attempt.result.latencyMs / 1000)
    }
    for (const status of settled) metrics.webhookDeliveries.inc({ outcome: status === 'pending' ? 'retrying' : status })
  }

  /**
   * Writes a batch's outcomes under the deliveries' row locks. Attempts are numbered from
   * the locked row, not from what was read before sending: a manual retry may have made
   * one meanwhile. An attempt overtaken that way is stored and counted, but leaves the
   * delivery's state and the endpoint's health to the attempt that overtook it.
   */
  async function record(tx: Tx, made: AttemptedDelivery[]): Promise<DeliveryStatus[]> {
    const now = clock.now()
    const current = await repo.lockDeliveries(
      tx,
      made.map((m) => m.loaded.delivery.id),
    )
    const attempts: Array<typeof webhookAttempts.$inferInsert> = []
    const changes: repo.DeliveryChange[] = []
    const retries: Array<{ jobId: string; deliveryId: string; delaySeconds: number }> = []
    const counted: AttemptedDelivery[] = []
    for (const m of made) {
      const { delivery } = m.loaded
      const locked = current.get(delivery.id)
      if (!locked) continue // deleted with its endpoint meanwhile
      if (m.attempt) {
        locked.attempts += 1
        attempts.push({
          id: newId(),
          deliveryId: delivery.id,
          number: locked.attempts,
          trigger: m.manual ? 'manual' : 'scheduled',
          attemptedAt: m.attempt.at,
          ...m.attempt.result,
        })
      }
      if (locked.nextJobId !== m.jobId) {
        changes.push({ id: delivery.id, attempts: locked.attempts })
        continue
      }
      counted.push(m)
      if (!m.attempt) {
        changes.push({
          id: delivery.id,
          attempts: locked.attempts,
          state: {
            status: 'failed',
            scheduleStep: delivery.scheduleStep,
            nextAttemptAt: null,
            nextJobId: null,
            lastError: 'the endpoint is disabled',
          },
        })
        continue
      }
      const next = nextStep(delivery, m.attempt.result, { schedule, manual: m.manual })
      const retry = next.delaySeconds === null ? undefined : { jobId: newId(), deliveryId: delivery.id, delaySeconds: next.delaySeconds }
      if (retry) retries.push(retry)
      changes.push({
        id: delivery.id,
        attempts: locked.attempts,
        state: {
          status: next.status,
          scheduleStep: next.scheduleStep,
          nextJobId: retry?.jobId ?? null,
          nextAttemptAt: retry ? new Date(now.getTime() + retry.delaySeconds * 1000) : null,
          lastError: next.status === 'succeeded' ? null : m.attempt.result.error,
        },
      })
    }
    await repo.insertAttempts(tx, attempts)
    await repo.applyChanges(tx, changes, now)
    await queueAttempts(tx, boss, retries)
    await updateEndpointHealth(tx, counted, now)
    return changes.flatMap((c) => (c.state ? [c.state.status] : []))
  }

  /**
   * A success clears an endpoint's failing streak; a failure starts one. 410 Gone, or a
   * streak five days long, disables the endpoint (event webhook_endpoint.disabled).
   * Healthy endpoints are not written to, so busy ones are not a hot row; those that may
   * change are locked in id order (batches never wait on each other in a cycle) and
   * judged by their locked row, not by what was read before sending.
   */
  async function updateEndpointHealth(tx: Tx, made: AttemptedDelivery[], now: Date): Promise<void> {
    const byEndpoint = new Map<string, { snapshot: WebhookEndpointRow; results: Array<{ at: Date; result: AttemptResult }> }>()
    for (const { loaded, attempt } of made) {
      if (!attempt) continue
      const entry = byEndpoint.get(loaded.endpoint.id) ?? { snapshot: loaded.endpoint, results: [] }
      entry.results.push(attempt)
      byEndpoint.set(loaded.endpoint.id, entry)
    }
    const verdicts = [...byEndpoint.values()].map(({ snapshot, results }) => ({
      id: snapshot.id,
      succeeded: results.some(({ result }) => result.errorClass === null),
      gone: results.some(({ result }) => result.statusCode === 410),
      firstFailure: results.find(({ result }) => result.errorClass !== null)?.at ?? null,
      snapshot,
    }))
    const mayChange = verdicts.filter((v) => v.gone || (v.succeeded ? v.snapshot.failingSince !== null : true))
    if (mayChange.length === 0) return
    const locked = await endpoints.lockEndpointsForHealth(
      tx,
      mayChange.map((v) => v.id),
    )
    for (const { id, succeeded, gone, firstFailure } of mayChange) {
      const endpoint = locked.get(id)
      if (!endpoint?.enabled) continue
      const failingSince = succeeded ? null : (endpoint.failingSince ?? firstFailure)
      const streakTooLong = failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_MS
      if (gone || streakTooLong) {
        const reason = gone ? 'the receiver answered 410 Gone' : `every delivery failed since ${failingSince!.toISOString()} (5 days)`
        await disable(tx, endpoint, reason, failingSince, now)
      } else if (failingSince?.getTime() !== endpoint.failingSince?.getTime()) {
        await endpoints.updateEndpoint(tx, id, { failingSince })
      }
    }
  }

  /** On the endpoint's locked, still enabled row: only one batch can disable it and write the event. */
  async function disable(tx: Tx, endpoint: WebhookEndpointRow, reason: string, failingSince: Date | null, now: Date): Promise<void> {
    await endpoints.updateEndpoint(tx, endpoint.id, { enabled: false, disabledReason: reason, failingSince, updatedAt: now })
    // The origin only: a URL's path or query can be a credential (Slack's webhook URLs are).
    await appendEvents(tx, { boss, logger }, [
      newEvent(
        'webhook_endpoint.disabled',
        {
          endpoint: { id: endpoint.id, origin: new URL(endpoint.url).origin, description: endpoint.description, kind: endpoint.kind },
          reason,
          failingSince: failingSince?.toISOString() ?? null,
        },
        now,
      ),
    ])
  }

  return { run }
}
