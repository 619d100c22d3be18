import type { PgBoss } from 'pg-boss'
import { contactOverdue } from './contact-overdue.ts'
import { handoffDeadline } from './handoff-deadline.ts'
import { handoffReminder } from './handoff-reminder.ts'
import { idempotencySweep } from './idempotency-sweep.ts'
import { notificationSend } from './notification-send.ts'
import type { Job } from './job.ts'
import { predictiveTrain } from './predictive-train.ts'
import { repAwayUntil } from './rep-away-until.ts'
import { routeLead } from './route-lead.ts'
import { routingSweep } from './routing-sweep.ts'
import { timerBackstop } from './timer-backstop.ts'
import { webhookAttempts } from './webhook-attempts.ts'
import { legacyWebhookDelivery } from './webhook-delivery.ts'
import { webhookStuckSweep } from './webhook-stuck-sweep.ts'

/** Every queue Baton uses. Adding a job: one file beside this one, and one line here. */
export const JOBS = [
  idempotencySweep,
  routeLead,
  routingSweep,
  handoffDeadline,
  handoffReminder,
  repAwayUntil,
  timerBackstop,
  webhookAttempts,
  legacyWebhookDelivery,
  webhookStuckSweep,
  predictiveTrain,
  contactOverdue,
  notificationSend,
] as const

export type QueueName = (typeof JOBS)[number]['name']

/** The list as the worker registers it: alike, whatever data each job carries. */
export const EVERY_JOB: readonly Job<QueueName, never>[] = JOBS

/**
 * Creates the queues up front at start, so `send` never races `createQueue`, and brings
 * existing ones to their job's options: createQueue leaves a queue that exists as it was,
 * so a retry policy changed in a release would otherwise reach only new databases. (A
 * queue's policy cannot change after creation.)
 */
export async function createQueues(boss: PgBoss): Promise<void> {
  for (const { name, queue } of JOBS) {
    await boss.createQueue(name, queue)
    const { policy: _fixed, ...updatable } = queue
    await boss.updateQueue(name, updatable)
  }
}
