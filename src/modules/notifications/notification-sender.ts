import type { ServiceDeps } from '../../lib/deps.ts'
import { onCommit } from '../../db/client.ts'
import { inTx } from '../../lib/jobs.ts'
import type { Tx } from '../../db/client.ts'
import type { Mailer, SendResult } from './email.ts'
import { httpOutcome, slackPayload, teamsPayload } from './chat.ts'
import type { Sender } from '../webhooks/sender.ts'
import { signedHeaders } from '../webhooks/payload.ts'
import { openSecret } from '../../lib/secret-box.ts'
import { jittered } from '../../lib/random.ts'
import { messageFor, type EventData } from './messages.ts'
import * as repo from './notifications.repo.ts'

import { NOTIFICATION_QUEUE } from './fan-out.ts'

/** Seconds before each retry (±20 %): about eight hours in all, then the notification fails. */
export const RETRY_SECONDS = [30, 120, 600, 1800, 7200, 21_600]
/** At most this many in one transaction, sent this many at a time (on as many pooled SMTP connections). */
const BATCH = 50
const SENDS_AT_ONCE = 10

/** Where an attempt leaves a notification: sent, failed for good, or pending again at nextAttemptAt. */
function outcomeOf(claimed: repo.Claimed, result: SendResult, now: Date): repo.Outcome {
  const retryIn = !result.ok && result.retry ? RETRY_SECONDS[claimed.attempts] : undefined
  const delay = retryIn === undefined ? null : jittered(retryIn)
  return {
    id: claimed.id,
    status: result.ok ? 'sent' : delay === null ? 'failed' : 'pending',
    error: result.ok ? null : result.error,
    nextAttemptAt: delay === null ? null : new Date(now.getTime() + delay * 1000),
  }
}

/** `work` over `items`, `lanes` at a time; the results in the items' order. */
async function inLanes<T, R>(items: T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!)
  }
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane))
  return results
}

/** One job per retry, due at its own time (jittered, so no two share one). */
async function queueRetries(tx: Tx, boss: ServiceDeps['boss'], retries: repo.Outcome[], now: Date): Promise<void> {
  if (retries.length === 0) return
  const jobs = retries.map((r) => ({
    data: { notificationIds: [r.id] },
    startAfter: Math.max(1, Math.round((r.nextAttemptAt!.getTime() - now.getTime()) / 1000)),
  }))
  await boss.insert(NOTIFICATION_QUEUE, jobs, { db: inTx(tx) })
}

/**
 * Notifications of reps, written with the events they tell of (fan-out.ts), sent by the
 * notification-send job. Each is sent under its row lock and marked in the same
 * transaction, so however many jobs or instances run it, a target that accepted it is not
 * sent it again; a crash between the server's answer and the commit can
 * send it twice, under the same Message-ID. Sending never touches a lead: a mail server that is
 * down delays mail, never a lead's routing.
 */
export function createNotificationSender({
  db,
  boss,
  clock,
  logger,
  metrics,
  acceptLinks,
  mailer,
  http,
}: Pick<ServiceDeps, 'db' | 'boss' | 'clock' | 'logger' | 'metrics' | 'acceptLinks'> & {
  mailer: Mailer | null
  /** Posts to Slack and Teams webhooks: the webhooks' sender, with its SSRF guard and time limit. */
  http: Pick<Sender, 'post'>
}) {
  /**
   * One transaction for a batch: claim what is still to send (one statement), send
   * SENDS_AT_ONCE at a time, record every outcome (one statement) and book the retries
   * (one insert). Per notification that is a fraction of a round trip instead of four, which
   * on a small machine is most of what a mail costs the database and the service.
   */
  async function sendBatch(ids: string[]): Promise<void> {
    await db.transaction(async (tx) => {
      const claimed = await repo.claim(tx, ids)
      if (claimed.length === 0) return // sent, failed, or being sent by someone else right now
      const now = clock.now()
      const results = await inLanes(claimed, SENDS_AT_ONCE, (one) => attempt(one, now))
      const outcomes = claimed.map((one, i) => outcomeOf(one, results[i]!, now))
      await repo.recordAttempts(tx, outcomes, now)
      const retries = outcomes.flatMap((o) => (o.nextAttemptAt ? [o] : []))
      await queueRetries(tx, boss, retries, now)
      onCommit(tx, () => {
        for (const [i, one] of claimed.entries()) {
          const result = results[i]!
          const outcome = outcomes[i]!.status === 'pending' ? 'retried' : outcomes[i]!.status
          metrics.notifications.inc({ kind: one.kind, outcome })
          // Ids only: the target's address and the lead's details stay out of the log.
          const fields = { notificationId: one.id, eventId: one.eventId, repId: one.repId, kind: one.kind, outcome }
          if (result.ok) logger.info(fields, 'notification sent')
          else logger.warn({ ...fields, error: result.error }, 'notification not sent')
        }
      })
    })
  }

  async function attempt(claimed: repo.Claimed, now: Date): Promise<SendResult> {
    const data = { ...(claimed.eventData as EventData), ...(claimed.lead ? { lead: claimed.lead } : {}) }
    const handoff = data.handoff
    const actionable = claimed.message === 'offer' || claimed.message === 'escalation' || claimed.message === 'reminder'
    const link =
      actionable && handoff
        ? await acceptLinks.urlFor({ id: handoff.id, repId: handoff.repId, deadlineAt: new Date(handoff.deadlineAt) })
        : null
    const message = messageFor(claimed.message, { type: claimed.eventType, data }, { timeZone: claimed.rep.timezone, now, link })
    const target = claimed.target
    switch (target.kind) {
      case 'email':
        if (!mailer) return { ok: false, retry: false, error: 'SMTP_URL is not set: this instance sends no email' }
        return mailer.send({ id: claimed.id, to: target.address, message })
      case 'slack':
      case 'teams': {
        const payload = target.kind === 'slack' ? slackPayload(message) : teamsPayload(message)
        return httpOutcome(await http.post(target.url, {}, JSON.stringify(payload)))
      }
      case 'webhook': {
        if (!target.secret) return { ok: false, retry: false, error: 'the webhook target has no signing secret' }
        const body = JSON.stringify({
          type: `notification.${claimed.message}`,
          timestamp: now.toISOString(),
          data: {
            id: claimed.id,
            message: claimed.message,
            repId: claimed.repId,
            leadId: claimed.leadId,
            event: { id: claimed.eventId, type: claimed.eventType },
            ...message,
          },
        })
        // webhook-id is the notification's id: the same on every retry, for the receiver to dedupe on.
        const headers = signedHeaders(claimed.id, body, [{ secret: openSecret(target.secret) }], now)
        return httpOutcome(await http.post(target.url, headers, body))
      }
    }
  }

  return {
    /** The notification-send job (and the backstop): these notifications, as far as they are still to send. */
    async send(ids: string[]): Promise<void> {
      for (let i = 0; i < ids.length; i += BATCH) await sendBatch(ids.slice(i, i + BATCH))
    },
    close: () => mailer?.close(),
  }
}

export type NotificationSender = ReturnType<typeof createNotificationSender>
