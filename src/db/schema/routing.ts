import { sql } from 'drizzle-orm'
import { check, date, integer, jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'
import type { Ruleset } from '../../modules/routing/routing.schemas.ts'
import { reps } from './reps.ts'

// Append-only: every PUT /v1/routing publishes the next version; the highest is live.
// Handoffs record the version that placed them, so old decisions stay explainable.
export const routingRulesets = pgTable('routing_rulesets', {
  version: integer('version').primaryKey(),
  ruleset: jsonb('ruleset').$type<Ruleset>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
})

/**
 * A rep's open work, kept beside the rep so that capacity is checked and taken in one
 * conditional UPDATE: concurrent assignments to one rep queue on this row (and only on
 * it), and an assignment that finds the rep full takes no lock at all.
 */
export const repLoads = pgTable(
  'rep_loads',
  {
    repId: uuid('rep_id').primaryKey().references(() => reps.id),
    /** Handoffs waiting for the rep's answer. */
    pending: integer('pending').notNull().default(0),
    /** Leads accepted and not yet contacted. */
    unworked: integer('unworked').notNull().default(0),
    /** The rep's local date that dayCount counts new leads for. */
    day: date('day'),
    dayCount: integer('day_count').notNull().default(0),
    lastAssignedAt: timestamp('last_assigned_at', { withTimezone: true, precision: 3 }),
    /** Handoffs this rep let expire since they last answered one (auto-away counts these). */
    expiredInRow: integer('expired_in_row').notNull().default(0),
  },
  (t) => [check('rep_loads_counts_check', sql`${t.pending} >= 0 and ${t.unworked} >= 0 and ${t.dayCount} >= 0`)],
)

export type RulesetRow = typeof routingRulesets.$inferSelect
export type RepLoadRow = typeof repLoads.$inferSelect
