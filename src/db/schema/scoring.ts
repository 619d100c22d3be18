import { integer, jsonb, pgTable, timestamp } from 'drizzle-orm/pg-core'
import type { ScoringModel } from './json/scoring-model.ts'

// Append-only: every PUT /v1/scoring publishes the next version; the highest is live.
// Leads record the version that scored them, so old decisions stay explainable.
export const scoringModels = pgTable('scoring_models', {
  version: integer('version').primaryKey(),
  model: jsonb('model').$type<ScoringModel>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
})

export type ScoringModelRow = typeof scoringModels.$inferSelect
