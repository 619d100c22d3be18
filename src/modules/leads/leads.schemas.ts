import { DeadlineClockSchema } from '../../db/schema/json/deadline-clock.ts'
import { Type, type Static } from '@sinclair/typebox'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'
import { LEAD_STATUSES } from '../../db/schema/leads.ts'
import { Event } from '../events/events.schemas.ts'
import { Handoff } from '../handoffs/handoffs.schemas.ts'
import { RoutingDecision } from '../routing/decision.schemas.ts'

const Text = (maxLength = 200) => Type.String({ maxLength })
const Scalar = Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()])

export const LeadInput = Type.Object(
  {
    // Checked after trimming (normalize.ts): form tools often send stray whitespace.
    email: Type.String({ minLength: 3, maxLength: 320, description: 'Required; trimmed and lower-cased' }),
    firstName: Type.Optional(Text()),
    lastName: Type.Optional(Text()),
    phone: Type.Optional(Text(50)),
    company: Type.Optional(Text()),
    website: Type.Optional(Text(2048)),
    country: Type.Optional(Type.String({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' })),
    region: Type.Optional(Text()),
    city: Type.Optional(Text()),
    industry: Type.Optional(Text()),
    employees: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
    annualRevenue: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e15, description: 'Whole currency units' })),
    productInterest: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    source: Type.Optional(Text(100)),
    utm: Type.Optional(
      Type.Object(
        {
          source: Type.Optional(Text()),
          medium: Type.Optional(Text()),
          campaign: Type.Optional(Text()),
          term: Type.Optional(Text()),
          content: Type.Optional(Text()),
        },
        { additionalProperties: false },
      ),
    ),
    signals: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), Scalar, {
        maxProperties: 50,
        description: 'Buying signals: demoRequested, pricingPageViews, …',
      }),
    ),
    custom: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), Type.Unknown(), {
        maxProperties: 50,
        description: 'Your own fields, up to 8 KB as JSON',
      }),
    ),
  },
  { additionalProperties: false },
)
export type LeadInput = Static<typeof LeadInput>

export const Decision = Type.Object(
  {
    score: Type.Integer(),
    qualified: Type.Boolean(),
    outcome: Type.Union([Type.Literal('qualified'), Type.Literal('disqualified'), Type.Literal('nurture')]),
    tier: Type.Union([Type.String(), Type.Null()]),
    acceptWithinSeconds: Type.Union([Type.Integer(), Type.Null()]),
    clock: Type.Optional(Type.Union([DeadlineClockSchema, Type.Null()])),
    scoringVersion: Type.Integer(),
    reasons: Type.Array(
      Type.Object({ kind: Type.String(), rule: Type.String(), points: Type.Optional(Type.Integer()), detail: Type.String() }),
    ),
    predicted: Type.Optional(
      Type.Object(
        {
          conversion: Type.Number({ minimum: 0, maximum: 1, description: "Probability of a win, from this deployment's own outcomes" }),
          model: Type.Integer({ description: 'The conversion model version (GET /v1/predictive)' }),
          drivers: Type.Array(
            Type.Object({
              feature: Type.String(),
              weight: Type.Number(),
              direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
            }),
            { description: 'The features that moved the prediction most, strongest first' },
          ),
        },
        { description: 'Present once a conversion model exists; rules can read predicted.conversion' },
      ),
    ),
  },
  { description: 'What scoring decided, and every rule that fired' },
)

/** The offer a lead waits on: its one pending handoff (handoffs_one_pending_per_lead), or null. */
export const LeadOffer = Type.Union(
  [
    Type.Object({
      handoffId: Uuid,
      repId: Uuid,
      deadlineAt: Type.String({ format: 'date-time', description: 'The instant the rep must have accepted by' }),
    }),
    Type.Null(),
  ],
  {
    description:
      'Who has it now, besides its owner: the pending handoff the lead waits on, the rep it waits for and their deadline ' +
      '(GET /v1/handoffs/:handoffId has the rest). null when no offer is pending. An owned lead can have one too: a reassign ' +
      'offers it to another rep, and the owner keeps it until that rep accepts. Not in event payloads (their lead is a snapshot).',
  },
)

export const Lead = Type.Object(
  {
    id: Uuid,
    status: Type.String(),
    ownerId: Type.Union([Uuid, Type.Null()]),
    offer: LeadOffer,
    email: Type.String(),
    domain: Type.Union([Type.String(), Type.Null()]),
    firstName: Type.Union([Type.String(), Type.Null()]),
    lastName: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    company: Type.Union([Type.String(), Type.Null()]),
    website: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()]),
    region: Type.Union([Type.String(), Type.Null()]),
    city: Type.Union([Type.String(), Type.Null()]),
    industry: Type.Union([Type.String(), Type.Null()]),
    employees: Type.Union([Type.Integer(), Type.Null()]),
    annualRevenue: Type.Union([Type.Number(), Type.Null()]),
    productInterest: Type.Array(Type.String()),
    source: Type.Union([Type.String(), Type.Null()]),
    utm: Type.Record(Type.String(), Type.String()),
    signals: Type.Record(Type.String(), Scalar),
    custom: Type.Record(Type.String(), Type.Unknown()),
    score: Type.Integer(),
    qualified: Type.Boolean(),
    tier: Type.Union([Type.String(), Type.Null()]),
    submissions: Type.Integer({ description: 'How many times this lead was submitted within the dedupe window' }),
    decision: Decision,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastSubmittedAt: Timestamp,
    acceptedAt: Type.Union([Timestamp, Type.Null()], { description: 'When its rep accepted it' }),
    contactedAt: Type.Union([Timestamp, Type.Null()], { description: 'When the first call, email or meeting happened' }),
    closedAt: Type.Union([Timestamp, Type.Null()], { description: 'When it was converted or closed' }),
    opportunity: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
      description: 'What convert recorded: amount, currency, externalId, name, closeDate',
    }),
    closeReason: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.Union(
      [
        Type.Object({
          result: Type.Union([Type.Literal('won'), Type.Literal('lost')]),
          amount: Type.Union([Type.Number(), Type.Null()]),
          closedAt: Timestamp,
        }),
        Type.Null(),
      ],
      { description: "The deal's result as the CRM reported it (POST /v1/leads/:id/outcome); what the conversion model learns from" },
    ),
  },
  { $id: 'Lead' },
)
export type Lead = Static<typeof Lead>

export const IngestResult = Type.Object({
  lead: Lead,
  decision: Decision,
  handoff: Type.Union([Handoff, Type.Null()], {
    description: 'The handoff to the rep routing chose; null when the lead was not routed or nobody is eligible yet',
  }),
  routing: Type.Union([RoutingDecision, Type.Null()], {
    description: 'What routing decided and why; null for a lead that was not routed (not qualified, or a duplicate)',
  }),
  duplicate: Type.Boolean({ description: 'True when this submission was attached to an existing lead (200)' }),
})
export type IngestResult = Static<typeof IngestResult>

export const ListLeadsQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Union(LEAD_STATUSES.map((s) => Type.Literal(s)))),
    ownerId: Type.Optional(Type.String({ format: 'uuid' })),
    repId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Leads this rep owns now, or whose pending offer waits for this rep' }),
    ),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Exact, ignoring case and surrounding spaces' })),
    domain: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: "The lead's domain, compared normalised (ACME.com and www.acme.com are acme.com)",
      }),
    ),
    source: Type.Optional(Type.String({ maxLength: 100 })),
    createdAfter: Type.Optional(Type.String({ format: 'date-time' })),
    createdBefore: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
export type ListLeadsQuery = Static<typeof ListLeadsQuery>

export const Timeline = Type.Object({ data: Type.Array(Event) })

export const ReassignBody = Type.Object(
  {
    repId: Type.Optional(Type.String({ format: 'uuid', description: 'The rep who gets the lead; absent: back into routing' })),
    mode: Type.Optional(
      Type.Union([Type.Literal('offer'), Type.Literal('transfer')], {
        description:
          'offer (default): a fresh pending handoff for repId, the owner keeping the lead until they accept; ' +
          'transfer: repId owns it at once, with a first-contact task',
      }),
    ),
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'Why, for the timeline and lead.reassigned; required of integrations' }),
    ),
  },
  { additionalProperties: false },
)
export type ReassignBody = Static<typeof ReassignBody>

export const ReassignAnswer = Type.Object({
  lead: Lead,
  handoff: Type.Union([Handoff, Type.Null()], {
    description: 'The new offer or ownership; null while the lead waits unrouted or escalated',
  }),
})
