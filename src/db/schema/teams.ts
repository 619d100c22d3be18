import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { reps } from './reps.ts'

export const TEAM_STRATEGIES = ['round_robin', 'weighted', 'least_loaded', 'best_fit'] as const
export type TeamStrategy = (typeof TEAM_STRATEGIES)[number]

export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    strategy: text('strategy', { enum: TEAM_STRATEGIES }).notNull(),
    // Escalations of this team's leads go to this rep.
    managerId: uuid('manager_id').references(() => reps.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('teams_name_key').on(sql`lower(${t.name})`),
    index('teams_manager_idx').on(t.managerId),
    check('teams_strategy_check', sql`${t.strategy} in ('round_robin', 'weighted', 'least_loaded', 'best_fit')`),
  ],
)

// One row per membership, kept across edits of the team so a member's
// routing history (and later its rotation state) survives others joining or leaving.
export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    repId: uuid('rep_id')
      .notNull()
      .references(() => reps.id),
    weight: integer('weight').notNull().default(1),
    joinedAt: timestamp('joined_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.repId] }),
    index('team_members_rep_idx').on(t.repId),
    check('team_members_weight_check', sql`${t.weight} between 1 and 100`),
  ],
)

export type TeamRow = typeof teams.$inferSelect
export type TeamMemberRow = typeof teamMembers.$inferSelect
