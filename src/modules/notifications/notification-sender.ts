import type { ServiceDeps } from '../../lib/deps.ts'
import { onCommit } from '../../db/client.ts'
import { sendInTx } from '../../lib/jobs.ts'
import type { Mailer, SendResult } from './email.ts'
import { httpOutcome, slackPayload, teamsPayload } from './chat.ts'
import type { Sender } from '../webhooks/sender.ts'
import { signedHeaders } from '../webhooks/payload.ts'
import { openSecret } from '../../lib/secret-box.ts'
import { messageFor, type EventData } from './messages.ts'
import * as repo from './notifications.repo.ts'

import { NOTIFICATION_QUEUE } from './fan-out.ts'

/** Seconds before each retry (±20 %): about eight hours in all, then the notification fails. */
export const RETRY_SECONDS = [30, 120, 600, 1800, 7200, 21_600]
const JITTER = 0.2

/**
 * Notifications of reps, written with the events they tell of (fan-out.ts), sent by the
 * notification-send job. Each is sent under its row lock
 * and marked in the same transaction, so however many jobs or instances run it, a target that
 * accepted it is not sent it again; a crash between the server's answer and the commit can
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
  async function sendOne(id: string): Promise<void> {
    await db.transaction(async (tx) => {
      const claimed = await repo.claim(tx, id)
      if (!claimed) return // sent, failed, or being sent by someone else right now
      const now = clock.now()
      const result = await attempt(claimed, now)
      const retryIn = !result.ok && result.retry ? RETRY_SECONDS[claimed.attempts] : undefined
      const delay = retryIn === undefined ? null : retryIn * (1 - JITTER + 2 * JITTER * Math.random())
      const status = result.ok ? 'sent' : delay === null ? 'failed' : 'pending'
      const nextAttemptAt = delay === null ? null : new Date(now.getTime() + delay * 1000)
      await repo.recordAttempt(tx, id, { status, error: result.ok ? null : result.error, nextAttemptAt }, now)
      if (nextAttemptAt) await sendInTx(tx, boss, NOTIFICATION_QUEUE, { notificationIds: [id] }, { at: nextAttemptAt, now })
      const outcome = status === 'pending' ? 'retried' : status
      onCommit(tx, () => {
        metrics.notifications.inc({ kind: claimed.kind, outcome })
        // Ids only: the target's address and the lead's details stay out of the log.
        const fields = { notificationId: id, eventId: claimed.eventId, repId: claimed.repId, kind: claimed.kind, outcome }
        if (result.ok) logger.info(fields, 'notification sent')
        else logger.warn({ ...fields, error: result.error }, 'notification not sent')
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
    /** The notification-send job: each notification in its own transaction. */
    async send(ids: string[]): Promise<void> {
      for (const id of ids) await sendOne(id)
    },
    close: () => mailer?.close(),
  }
}

export type NotificationSender = ReturnType<typeof createNotificationSender>
