import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { leads } from './leads.ts'

export const sources = pgTable('sources', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['generic', 'typeform', 'tally', 'webflow', 'hubspot'] }).notNull(),
  // generic sources: 'signature' (Standard Webhooks) or 'token'; providers always sign.
  auth: text('auth', { enum: ['signature', 'token'] }).notNull(),
  /** Sealed (lib/secret-box.ts); a token source's token is stored as its SHA-256 (`sha256:…`) instead. */
  secret: text('secret').notNull(),
  /** Lead field (or signals./custom./utm. path) → where its value is in the submission. */
  fieldMap: jsonb('field_map').$type<Record<string, string>>().notNull(),
  leadSource: text('lead_source').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
})

export type SourceRow = typeof sources.$inferSelect

// One row per provider submission id: a form tool's retry of the same submission
// finds it here and makes no second lead. Written with the lead, in one transaction.
export const inboundSubmissions = pgTable(
  'inbound_submissions',
  {
    sourceId: uuid('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    submissionId: text('submission_id').notNull(),
    leadId: uuid('lead_id')
      .notNull()
      .references(() => leads.id),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.submissionId] }), index('inbound_submissions_lead_idx').on(t.leadId)],
)
