import { sql } from 'drizzle-orm'
import { check, date, integer, jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'
import { reps } from './reps.ts'
import type { Ruleset } from './json/ruleset.ts'

// Append-only: every PUT /v1/routing publishes the next version; the highest is live.
// Handoffs record the version that placed them, so old decisions stay explainable.
export const routingRulesets = pgTable('routing_rulesets', {
  version: integer('version').primaryKey(),
  ruleset: jsonb('ruleset').$type<Ruleset>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
})

/**
 * A rep's claims on new leads, kept beside the rep so that capacity is checked and
 * taken in one conditional UPDATE: concurrent assignments to one rep queue on this row
 * (and only on it), and an assignment that finds the rep full takes no lock at all.
 * Pending handoffs = `claimed` − rep_answers.`released`. Answers (accept, decline,
 * expiry) write only rep_answers, never this row: a transaction that answers one rep's
 * handoff and routes the lead to another then holds one row of each table, so two such
 * transactions crossing between two reps cannot deadlock.
 */
export const repLoads = pgTable(
  'rep_loads',
  {
    repId: uuid('rep_id')
      .primaryKey()
      .references(() => reps.id),
    /** Handoffs ever offered to the rep. */
    claimed: integer('claimed').notNull().default(0),
    /** The rep's local date that dayCount counts new leads for. */
    day: date('day'),
    dayCount: integer('day_count').notNull().default(0),
    lastAssignedAt: timestamp('last_assigned_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [check('rep_loads_counts_check', sql`${t.claimed} >= 0 and ${t.dayCount} >= 0`)],
)

/** What the rep did with their handoffs; see repLoads for why this is a row of its own. */
export const repAnswers = pgTable(
  'rep_answers',
  {
    repId: uuid('rep_id')
      .primaryKey()
      .references(() => reps.id),
    /** Handoffs no longer pending: accepted, declined, expired or withdrawn. */
    released: integer('released').notNull().default(0),
    /** Leads accepted and not yet contacted, converted or closed. */
    unworked: integer('unworked').notNull().default(0),
    /** Handoffs this rep let expire since they last answered one (auto-away counts these). */
    expiredInRow: integer('expired_in_row').notNull().default(0),
  },
  (t) => [check('rep_answers_counts_check', sql`${t.released} >= 0 and ${t.unworked} >= 0 and ${t.expiredInRow} >= 0`)],
)

export type RulesetRow = typeof routingRulesets.$inferSelect
export type RepLoadRow = typeof repLoads.$inferSelect
export type RepAnswersRow = typeof repAnswers.$inferSelect
