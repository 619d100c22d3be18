import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { events } from './leads.ts'
import { reps, type NotificationTarget } from './reps.ts'

/** What a notification tells its rep. */
export const NOTIFICATION_MESSAGES = ['offer', 'reminder', 'moved_on', 'contact_overdue', 'escalation', 'needs_assignment'] as const
export type NotificationMessage = (typeof NOTIFICATION_MESSAGES)[number]

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number]

/**
 * One event told to one of a rep's notification targets: an outbox row written in the
 * event's own transaction and sent by a job. (event, target) is unique, so a retried job,
 * a second instance or a replayed fan-out never makes a second one; the target is kept as
 * it was, so editing a rep's targets later does not redirect what was already due.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    leadId: uuid('lead_id'),
    /** Whose target it went to; null: one of the admin targets (GET /v1/notifications). */
    repId: uuid('rep_id').references(() => reps.id),
    message: text('message', { enum: NOTIFICATION_MESSAGES }).notNull(),
    kind: text('kind').$type<NotificationTarget['kind']>().notNull(),
    target: jsonb('target').$type<NotificationTarget>().notNull(),
    /** The target as one string (kind and address), for the (event, target) key. */
    targetKey: text('target_key').notNull(),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }),
    sentAt: timestamp('sent_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('notifications_event_target_key').on(t.eventId, t.targetKey),
    index('notifications_rep_idx').on(t.repId, t.id),
    index('notifications_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('notifications_status_check', sql`${t.status} in ('pending', 'sent', 'failed')`),
  ],
)

export type NotificationRow = typeof notifications.$inferSelect

/** Which messages go out at all (absent: on). */
export type NotificationSwitches = Partial<Record<NotificationMessage, boolean>>

/**
 * The admin-level notification settings, one row: where messages for admins go (a lead
 * escalated with nobody left to offer it to) and which messages are sent at all.
 */
export const notificationSettings = pgTable(
  'notification_settings',
  {
    /** Always true: the one row. */
    id: boolean('id').primaryKey().default(true),
    adminTargets: jsonb('admin_targets').$type<NotificationTarget[]>().notNull().default([]),
    messages: jsonb('messages').$type<NotificationSwitches>().notNull().default({}),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [check('notification_settings_one_row', sql`${t.id}`)],
)

export type NotificationSettingsRow = typeof notificationSettings.$inferSelect
