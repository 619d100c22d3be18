import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { handoffs } from './handoffs.ts'
import { leads } from './leads.ts'
import { reps } from './reps.ts'

export const TASK_STATUSES = ['open', 'completed', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** Follow-up work a rep owes on a lead; acceptance creates the first-contact task. */
export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey(),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id),
    repId: uuid('rep_id')
      .notNull()
      .references(() => reps.id),
    handoffId: uuid('handoff_id').references(() => handoffs.id),
    kind: text('kind', { enum: ['first_contact'] }).notNull(),
    title: text('title').notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
    // Set once, when lead.contact_overdue went out: the event is sent once per task.
    overdueAt: timestamp('overdue_at', { withTimezone: true, precision: 3 }),
    // The model's onOverdue "reassign": when the lead goes back into routing if still uncontacted; null: notify only.
    reassignAt: timestamp('reassign_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('tasks_rep_idx').on(t.repId, t.status, t.dueAt),
    // Built CONCURRENTLY by migrations/concurrent/0020_timer_backstop_indexes.sql (declared here so drizzle-kit knows it).
    index('tasks_overdue_unannounced_idx')
      .on(t.dueAt)
      .where(sql`${t.status} = 'open' and ${t.overdueAt} is null`),
    // Built CONCURRENTLY by migrations/concurrent/0024_first_contact_follow_through.sql.
    index('tasks_reassign_due_idx')
      .on(t.reassignAt)
      .where(sql`${t.status} = 'open' and ${t.reassignAt} is not null`),
    // One first-contact task per acceptance, whatever retries or races do (a reassigned lead's next owner gets their own).
    // Built CONCURRENTLY by migrations/concurrent/0024_first_contact_follow_through.sql.
    uniqueIndex('tasks_one_first_contact_per_handoff')
      .on(t.handoffId)
      .where(sql`${t.kind} = 'first_contact'`),
    check('tasks_status_check', sql`${t.status} in ('open', 'completed', 'cancelled')`),
  ],
)

export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note'] as const
export type ActivityType = (typeof ACTIVITY_TYPES)[number]

/** What a rep did about a lead; the first call, email or meeting is its first contact. */
export const activities = pgTable(
  'activities',
  {
    id: uuid('id').primaryKey(),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id),
    repId: uuid('rep_id').references(() => reps.id),
    type: text('type', { enum: ACTIVITY_TYPES }).notNull(),
    note: text('note'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('activities_lead_idx').on(t.leadId, t.occurredAt),
    check('activities_type_check', sql`${t.type} in ('call', 'email', 'meeting', 'note')`),
  ],
)

export type TaskRow = typeof tasks.$inferSelect
export type ActivityRow = typeof activities.$inferSelect
