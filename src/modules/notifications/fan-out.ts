import type { PgBoss } from 'pg-boss'
import type { Tx } from '../../db/client.ts'
import { sendInTx } from '../../lib/jobs.ts'
import type { NewEvent } from '../events/events.repo.ts'
import { notificationIntents } from './intents.ts'
import * as repo from './notifications.repo.ts'

export const NOTIFICATION_QUEUE = 'notification-send'

/** The target kinds this version sends. */
export const SENT_KINDS = ['email', 'slack', 'teams', 'webhook']

/**
 * The notifications of these events, written in their transaction (appendEvents calls
 * this), with one job to send them: none exist unless the events commit, and an event
 * that concerns no rep with a target costs one statement and no job.
 */
export async function fanOutNotifications(tx: Tx, boss: PgBoss, events: NewEvent[]): Promise<void> {
  const intents = notificationIntents(events)
  if (intents.length === 0) return
  const ids = await repo.fanOut(tx, intents, SENT_KINDS, events[0]!.createdAt)
  if (ids.length > 0) await sendInTx(tx, boss, NOTIFICATION_QUEUE, { notificationIds: ids })
}
