import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core'

/** Weekday keys of `workingHours`, Monday first (ISO order). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
/** A rep's weekly working windows in their own time zone; a missing day is a day off. */
export type WorkingHours = Partial<Record<Weekday, Array<{ start: string; end: string }>>>
export interface RepAttributes {
  territories?: string[]
  industries?: string[]
  segments?: string[]
  products?: string[]
  languages?: string[]
}
export type NotificationTarget =
  | { kind: 'email'; address: string }
  | { kind: 'slack' | 'teams'; url: string }
  /** `secret` is sealed at rest (lib/secret-box.ts); `secretHint` is its last four characters, for answers. */
  | { kind: 'webhook'; url: string; secret?: string; secretHint?: string }

export const reps = pgTable(
  'reps',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    timezone: text('timezone').notNull(),
    // null: always working (SPEC: "workingHours absent means always working").
    workingHours: jsonb('working_hours').$type<WorkingHours>(),
    holidays: jsonb('holidays').$type<string[]>().notNull().default([]),
    status: text('status', { enum: ['available', 'away'] })
      .notNull()
      .default('available'),
    // Away until this instant: a job sets the rep available then (null: away until someone says otherwise).
    awayUntil: timestamp('away_until', { withTimezone: true, precision: 3 }),
    maxPending: integer('max_pending'),
    maxPerDay: integer('max_per_day'),
    attributes: jsonb('attributes').$type<RepAttributes>().notNull().default({}),
    managerId: uuid('manager_id').references((): AnyPgColumn => reps.id),
    notificationTargets: jsonb('notification_targets').$type<NotificationTarget[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
    // Deleted reps stay as rows: leads, handoffs and events keep pointing at them.
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('reps_email_live_key')
      .on(t.email)
      .where(sql`${t.deletedAt} is null`),
    index('reps_manager_idx').on(t.managerId),
    check('reps_status_check', sql`${t.status} in ('available', 'away')`),
    check('reps_capacity_check', sql`${t.maxPending} > 0 and ${t.maxPerDay} > 0`),
  ],
)

export type RepRow = typeof reps.$inferSelect
