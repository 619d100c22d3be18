import { sql } from 'drizzle-orm'
import { boolean, check, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** A signing secret; a rotated-out one keeps signing until `expiresAt` (the grace period). */
export interface EndpointSecret {
  secret: string
  createdAt: string
  expiresAt: string | null
}

/** Where events are delivered (SPEC "Webhooks"): Standard Webhooks, or a Slack incoming webhook. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    url: text('url').notNull(),
    kind: text('kind', { enum: ['standard', 'slack'] }).notNull(),
    description: text('description'),
    /** Exact types and prefixes (`lead.*`); empty: every event. */
    eventTypes: jsonb('event_types').$type<string[]>().notNull().default([]),
    enabled: boolean('enabled').notNull().default(true),
    secrets: jsonb('secrets').$type<EndpointSecret[]>().notNull(),
    disabledReason: text('disabled_reason'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [check('webhook_endpoints_kind_check', sql`${t.kind} in ('standard', 'slack')`)],
)

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect
