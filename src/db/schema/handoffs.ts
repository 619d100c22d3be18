import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { leads } from './leads.ts'
import { reps } from './reps.ts'
import { teams } from './teams.ts'
import { DEADLINE_CLOCKS } from './json/deadline-clock.ts'
import type { Assign } from './json/ruleset.ts'
import type { Trace } from './json/trace.ts'

export const HANDOFF_STATUSES = ['pending', 'accepted', 'declined', 'expired', 'cancelled', 'reassigned'] as const
export type HandoffStatus = (typeof HANDOFF_STATUSES)[number]

/**
 * One offer of a lead to one rep, with the deadline to accept it. A lead has at most one
 * pending and one accepted handoff: the partial unique indexes make "never two owners" a
 * database fact rather than a hope.
 */
export const handoffs = pgTable(
  'handoffs',
  {
    id: uuid('id').primaryKey(),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id),
    repId: uuid('rep_id')
      .notNull()
      .references(() => reps.id),
    status: text('status', { enum: HANDOFF_STATUSES }).notNull(),
    attempt: integer('attempt').notNull(),
    deadlineAt: timestamp('deadline_at', { withTimezone: true, precision: 3 }).notNull(),
    // How deadlineAt was counted from createdAt: acceptWithinSeconds of wall or of the rep's working time.
    // Null seconds: a handoff made before both were recorded (its window is deadlineAt − createdAt).
    clock: text('clock', { enum: DEADLINE_CLOCKS }).notNull().default('wall'),
    acceptWithinSeconds: integer('accept_within_seconds'),
    // Reminders before the deadline (handoff.reminder): when each falls due, and when it went out.
    reminders: jsonb('reminders').$type<HandoffReminder[]>().notNull().default([]),
    // What placed it: the ruleset version, the rule (index −1: the fallback), the target.
    rulesetVersion: integer('ruleset_version'),
    ruleIndex: integer('rule_index'),
    ruleName: text('rule_name'),
    assign: jsonb('assign').$type<Assign>(),
    teamId: uuid('team_id').references(() => teams.id, { onDelete: 'set null' }),
    trace: jsonb('trace').$type<Trace>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
    respondedAt: timestamp('responded_at', { withTimezone: true, precision: 3 }),
    /** Why it ended other than by acceptance: the rep's decline reason, or what expired it. */
    reason: text('reason'),
  },
  (t) => [
    // At most one offer waiting and one owner per lead. Both at once: a reassign offers an owned lead
    // to another rep, and the owner keeps it until that rep accepts. Built CONCURRENTLY by
    // migrations/concurrent/0027_one_pending_one_accepted.sql.
    uniqueIndex('handoffs_one_pending_per_lead')
      .on(t.leadId)
      .where(sql`${t.status} = 'pending'`),
    uniqueIndex('handoffs_one_accepted_per_lead')
      .on(t.leadId)
      .where(sql`${t.status} = 'accepted'`),
    index('handoffs_rep_idx').on(t.repId, t.status, t.createdAt),
    index('handoffs_lead_idx').on(t.leadId, t.attempt),
    // Built CONCURRENTLY by migrations/concurrent/0020_timer_backstop_indexes.sql (declared here so drizzle-kit knows it).
    index('handoffs_pending_deadline_idx')
      .on(t.deadlineAt)
      .where(sql`${t.status} = 'pending'`),
    check('handoffs_clock_check', sql.raw(`clock in (${DEADLINE_CLOCKS.map((c) => `'${c}'`).join(', ')})`)),
    check('handoffs_status_check', sql.raw(`status in (${HANDOFF_STATUSES.map((s) => `'${s}'`).join(', ')})`)),
  ],
)

/** One reminder of a handoff: `beforeSeconds` of its clock before the deadline, due at `at` (ISO), sent at `sentAt`. */
export interface HandoffReminder {
  beforeSeconds: number
  at: string
  sentAt: string | null
}

export type HandoffRow = typeof handoffs.$inferSelect
/** A handoff without its routing trace: what changes read and return (the trace is for GET /v1/handoffs/:id). */
export type HandoffState = Omit<HandoffRow, 'trace'>
