import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { events } from './leads.ts'

/** A signing secret; a rotated-out one keeps signing until `expiresAt` (the grace period). */
export interface EndpointSecret {
  /** Sealed in the database (lib/secret-box.ts); opened by deliveries.repo.ts loadForAttempt. */
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
    /** The receiver gets lead.assigned's one-click accept link, and so can accept as any rep (admin-set). */
    includeAcceptLinks: boolean('include_accept_links').notNull().default(false),
    disabledReason: text('disabled_reason'),
    /** The first failed attempt since the last success; five days of that disables the endpoint. */
    failingSince: timestamp('failing_since', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [check('webhook_endpoints_kind_check', sql`${t.kind} in ('standard', 'slack')`)],
)

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * One event on its way to one endpoint. Written in the event's transaction; every attempt
 * is made by a pg-boss job whose id is `nextJobId` (deliveries made together share the first
 * one's), so a job that is no longer the delivery's next one knows it has been overtaken and
 * leaves it alone.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    /** Attempts made, automatic and manual. */
    attempts: integer('attempts').notNull().default(0),
    /** Steps of the automatic schedule used up. */
    scheduleStep: integer('schedule_step').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }),
    nextJobId: uuid('next_job_id'),
    /** Why the last attempt failed (or why none was made: the endpoint was disabled). */
    lastError: text('last_error'),
    /** A replay's copy points at the delivery it repeats (same event, same webhook-id). */
    replayOf: uuid('replay_of'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
    index('webhook_deliveries_event_idx').on(t.eventId),
    // Replays pick an endpoint's deliveries by time.
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt),
    // The sweep for deliveries left pending by a job that ended (failStuckDeliveries in webhooks/deliveries.repo.ts).
    index('webhook_deliveries_pending_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('webhook_deliveries_status_check', sql`${t.status} in ('pending', 'succeeded', 'failed')`),
  ],
)

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect

export const ERROR_CLASSES = ['dns', 'connect', 'tls', 'timeout', 'http'] as const
export type ErrorClass = (typeof ERROR_CLASSES)[number]

/** One HTTP attempt of a delivery: what the receiver (or the network) answered. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: uuid('id').primaryKey(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    trigger: text('trigger', { enum: ['scheduled', 'manual'] }).notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true, precision: 3 }).notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    errorClass: text('error_class', { enum: ERROR_CLASSES }),
    error: text('error'),
    /** The first 4 KB of the response body. */
    responseBody: text('response_body'),
  },
  (t) => [uniqueIndex('webhook_attempts_delivery_number_idx').on(t.deliveryId, t.number)],
)

export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect
