import { doublePrecision, integer, jsonb, pgTable, timestamp } from 'drizzle-orm/pg-core'
import type { Driver, Model } from './json/conversion-model.ts'

// Append-only like scoring models: each training publishes the next version; the highest
// is live. Leads' decisions name the version that predicted them.
export const predictiveModels = pgTable('predictive_models', {
  version: integer('version').primaryKey(),
  trainedAt: timestamp('trained_at', { withTimezone: true, precision: 3 }).notNull(),
  /** Leads with an outcome it learned from, and how many of them were won. */
  samples: integer('samples').notNull(),
  baselineRate: doublePrecision('baseline_rate').notNull(),
  /** Measured on a held-out fifth of the samples; null when that fifth had only wins or only losses. */
  auc: doublePrecision('auc'),
  seed: integer('seed').notNull(),
  model: jsonb('model').$type<Model>().notNull(),
  topFeatures: jsonb('top_features').$type<Driver[]>().notNull(),
})

export type PredictiveModelRow = typeof predictiveModels.$inferSelect
