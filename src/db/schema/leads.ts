import type { DeadlineClock } from './json/deadline-clock.ts'
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { reps } from './reps.ts'

export const LEAD_STATUSES = [
  'received',
  'disqualified',
  'nurture',
  'qualified',
  'pending_acceptance',
  'unrouted',
  'accepted',
  'escalated',
  'contacted',
  'converted',
  'closed',
] as const
export type LeadStatus = (typeof LEAD_STATUSES)[number]

/** What scoring decided, kept on the lead so every answer about it can explain itself. */
export interface StoredDecision {
  score: number
  qualified: boolean
  outcome: 'qualified' | 'disqualified' | 'nurture'
  tier: 'high' | 'demo' | 'standard' | null
  acceptWithinSeconds: number | null
  /** How that deadline counts; absent on decisions made before clocks existed (then: the tier's default). */
  clock?: DeadlineClock | null
  /** The tier's reminders (seconds before the deadline), when the model named them. */
  reminders?: number[]
  reasons: Array<{ kind: string; rule: string; points?: number; detail: string }>
  scoringVersion: number
  /** The conversion model's prediction when the lead was scored; absent while there is no model. */
  predicted?: Prediction
}

/** A conversion probability, the model version that made it, and the features that moved it most. */
export interface Prediction {
  conversion: number
  model: number
  drivers: Array<{ feature: string; weight: number; direction: 'up' | 'down' }>
}

export const leads = pgTable(
  'leads',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    domain: text('domain'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    phone: text('phone'),
    company: text('company'),
    website: text('website'),
    country: text('country'),
    region: text('region'),
    city: text('city'),
    industry: text('industry'),
    employees: integer('employees'),
    annualRevenue: bigint('annual_revenue', { mode: 'number' }),
    productInterest: jsonb('product_interest').$type<string[]>().notNull().default([]),
    source: text('source'),
    utm: jsonb('utm').$type<Record<string, string>>().notNull().default({}),
    signals: jsonb('signals').$type<Record<string, string | number | boolean>>().notNull().default({}),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: LEAD_STATUSES }).notNull(),
    ownerId: uuid('owner_id').references(() => reps.id),
    score: integer('score').notNull(),
    qualified: boolean('qualified').notNull(),
    tier: text('tier', { enum: ['high', 'demo', 'standard'] }),
    decision: jsonb('decision').$type<StoredDecision>().notNull(),
    submissions: integer('submissions').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
    // Deduplication window runs from the latest submission, not the first.
    lastSubmittedAt: timestamp('last_submitted_at', { withTimezone: true, precision: 3 }).notNull(),
    // An unrouted lead's next try by the calendar (a working window opening); null: waiting for an event.
    nextRouteAt: timestamp('next_route_at', { withTimezone: true, precision: 3 }),
    // The lifecycle's milestones, for response-time metrics and answers.
    acceptedAt: timestamp('accepted_at', { withTimezone: true, precision: 3 }),
    contactedAt: timestamp('contacted_at', { withTimezone: true, precision: 3 }),
    // The same two waits from arrival, counted in the owner's working time (metrics in both clocks).
    acceptWorkingSeconds: integer('accept_working_seconds'),
    contactWorkingSeconds: integer('contact_working_seconds'),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    /** Set by convert: the opportunity created in the CRM. */
    opportunity: jsonb('opportunity').$type<Record<string, unknown>>(),
    closeReason: text('close_reason'),
    /** What the CRM reported about the deal (POST /v1/leads/:id/outcome): what the conversion model learns from. */
    outcome: text('outcome', { enum: ['won', 'lost'] }),
    outcomeAmount: doublePrecision('outcome_amount'),
    outcomeAt: timestamp('outcome_at', { withTimezone: true, precision: 3 }),
    /** The last per-lead event sequence number handed out (events.sequence). */
    eventSeq: integer('event_seq').notNull().default(0),
  },
  (t) => [
    index('leads_email_idx').on(t.email, t.lastSubmittedAt),
    index('leads_status_idx').on(t.status),
    index('leads_owner_idx').on(t.ownerId),
    // For GET /v1/leads?domain=; built CONCURRENTLY by migrations/concurrent/0028_lead_lookup_indexes.sql
    // (0030's drizzle migration only records it, as 0020's did).
    index('leads_domain_idx').on(t.domain, t.id),
    index('leads_created_idx').on(t.createdAt),
    index('leads_outcome_idx')
      .on(t.outcomeAt)
      .where(sql`${t.outcome} is not null`),
    check('leads_outcome_check', sql`${t.outcome} in ('won', 'lost')`),
    check('leads_status_check', sql.raw(`status in (${LEAD_STATUSES.map((s) => `'${s}'`).join(', ')})`)),
  ],
)

export type LeadRow = typeof leads.$inferSelect

/**
 * The durable, ordered event log (SPEC "Events"). `txid` is the writing transaction's
 * id: readers only see rows of transactions older than every one still running, so a
 * slow transaction can never commit "behind" a cursor that has already passed it.
 */
export const events = pgTable(
  'events',
  {
    position: bigserial('position', { mode: 'number' }).primaryKey(),
    txid: bigint('txid', { mode: 'number' })
      .notNull()
      .default(sql`pg_current_xact_id()::text::bigint`),
    id: uuid('id').notNull().unique(),
    type: text('type').notNull(),
    leadId: uuid('lead_id').references(() => leads.id),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    /** 1, 2, 3… per lead in the order its events happened; receivers order and dedupe by it. Null for events about no lead. */
    sequence: integer('sequence'),
  },
  (t) => [
    index('events_feed_idx').on(t.txid, t.position),
    index('events_lead_idx').on(t.leadId, t.position),
    index('events_type_idx').on(t.type),
    uniqueIndex('events_lead_sequence_idx').on(t.leadId, t.sequence),
    check('events_lead_sequence_check', sql`${t.leadId} is null or ${t.sequence} is not null`),
  ],
)

export type EventRow = typeof events.$inferSelect
