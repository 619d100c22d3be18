import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { LEAD_STATUSES, type LeadStatus } from '../../db/schema/leads.ts'
import { Timestamp, Uuid } from '../../lib/schemas.ts'
import { Activity, ConvertBody } from '../activities/activities.schemas.ts'
import { Handoff } from '../handoffs/handoffs.schemas.ts'
import { Decision } from '../leads/leads.schemas.ts'
import { Task } from '../tasks/tasks.schemas.ts'
import { EVENT_TYPES, type EventType } from './events.schemas.ts'
import { TIERS } from '../../db/schema/json/scoring-model.ts'

// Every object defined here forbids other properties: a field added to an event's data
// without being documented here fails test/modules/event-payloads.test.ts.
const strict = { additionalProperties: false } as const
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const oneOf = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))

const snapshotFields = {
  id: Uuid,
  status: oneOf(LEAD_STATUSES),
  ownerId: Nullable(Uuid),
  email: Type.String(),
  domain: Nullable(Type.String()),
  company: Nullable(Type.String()),
  country: Nullable(Type.String()),
  source: Nullable(Type.String()),
  score: Type.Integer(),
  tier: Nullable(oneOf(TIERS)),
}

/** The compact view of a lead that events carry as `data.lead` (snapshot() in leads.service.ts). */
export const LeadSnapshot = Type.Object(snapshotFields, { ...strict, description: 'The lead as it stood when the event happened' })

/** LeadSnapshot whose status is one of `statuses`: what the lead is at that point of its journey. */
const LeadIn = (...statuses: LeadStatus[]) =>
  Type.Object(
    { ...snapshotFields, status: oneOf(statuses) },
    { ...strict, description: `The lead as it stood when the event happened (status ${statuses.join(' or ')})` },
  )

/** A rep as events name them (RepRef in routing.repo.ts). */
export const RepRef = Type.Object({ id: Uuid, name: Type.String(), email: Type.String() }, strict)

const RepWithStatus = (status: 'away' | 'available') => Type.Object({ ...RepRef.properties, status: Type.Literal(status) }, strict)
const RepActor = Type.Object(
  {
    type: oneOf(['rep', 'admin', 'auto_away', 'away_until'] as const),
    id: Nullable(Type.String({ description: "The rep's id, or the admin token's subject" })),
  },
  { ...strict, description: 'Who did it: the rep itself, an admin, auto-away, or awayUntil running out' },
)

const ScoreSummary = Type.Object(
  { score: Type.Integer(), outcome: Decision.properties.outcome, tier: Nullable(oneOf(TIERS)), scoringVersion: Type.Integer() },
  {
    ...strict,
    description:
      'What scoring decided, without the reasons (for a new lead, the lead.qualified, lead.disqualified or lead.nurtured that ' +
      'follows has them)',
  },
)

const Opportunity = Type.Object(
  { ...ConvertBody.properties, convertedAt: Timestamp },
  { ...strict, description: 'What POST /v1/leads/:id/convert recorded, and when' },
)

const Outcome = (outcome: 'won' | 'lost') =>
  Type.Object(
    {
      lead: LeadSnapshot,
      outcome: Type.Literal(outcome),
      amount: Nullable(Type.Number()),
      closedAt: Timestamp,
      opportunity: Nullable(Opportunity),
    },
    { ...strict, description: `A CRM reported the deal ${outcome} (POST /v1/leads/:id/outcome)` },
  )

const data = <P extends Parameters<typeof Type.Object>[0]>(description: string, properties: P) =>
  Type.Object(properties, { ...strict, description })

// A lead waiting for an answer, or (offered to another rep by a reassign) still with its owner.
const PENDING = ['pending_acceptance', 'escalated', 'accepted', 'contacted'] as const satisfies LeadStatus[]

/** Each event type's `data`, exactly as the code writes it; the description says when it is sent. */
export const EVENT_DATA = {
  'lead.received': data('A new lead came in (a new email, or the same one after the dedupe window)', { lead: LeadIn('received') }),
  'lead.duplicate': data('A submission matched a lead within the dedupe window: merged into it and re-scored', {
    lead: LeadSnapshot,
    submission: Type.Object(
      {
        submittedAt: Timestamp,
        submissions: Type.Integer({ minimum: 2, description: 'Submissions of this lead so far, this one included' }),
      },
      strict,
    ),
  }),
  'lead.scored': data('A lead was scored: on arrival (status received) or again after a duplicate submission (its current status)', {
    lead: LeadSnapshot,
    decision: ScoreSummary,
  }),
  'lead.qualified': data('Scoring qualified a new lead, or promoted a nurtured one on a new submission; routing follows at once', {
    lead: LeadIn('qualified'),
    decision: Decision,
  }),
  'lead.disqualified': data('Scoring disqualified a new lead (a disqualify rule fired)', {
    lead: LeadIn('disqualified'),
    decision: Decision,
  }),
  'lead.nurtured': data('A new lead scored below the qualifying threshold: kept for nurture', {
    lead: LeadIn('nurture'),
    decision: Decision,
  }),
  'lead.assigned': data(
    'A handoff was offered to a rep (routing, re-routing or escalation to a manager): they accept or decline by its deadline',
    {
      lead: LeadIn(...PENDING),
      handoff: Handoff,
      rep: RepRef,
      rule: Type.Object(
        {
          version: Nullable(Type.Integer({ description: 'The routing ruleset version; null for an escalation' })),
          index: Nullable(Type.Integer({ description: "The rule's position (-1 for the fallback); null for an escalation" })),
          name: Type.String({ description: 'The rule that matched; "escalation" for an escalation' }),
        },
        strict,
      ),
      acceptUrl: Type.Optional(
        Nullable(
          Type.String({
            format: 'uri',
            description:
              'The one-click accept link (valid until the deadline; null when Baton issues no links). It accepts as the rep with no ' +
              'other ' +
              'credential, so it is present only for admin tokens (GET /v1/events, the timeline) and for webhook endpoints created with ' +
              '`includeAcceptLinks: true`; every other reader gets the event without it',
          }),
        ),
      ),
    },
  ),
  'lead.unroutable': data('A qualified lead found no eligible rep: it waits as unrouted and is tried again', {
    lead: LeadIn('unrouted'),
    reason: Type.String(),
    retryAt: Nullable(
      Type.String({
        format: 'date-time',
        description: "When the next candidate's working window opens; null: on the next change (rep, team, ruleset)",
      }),
    ),
    rulesetVersion: Nullable(Type.Integer({ description: 'Null when no ruleset was ever published' })),
  }),
  'handoff.accepted': data('A rep accepted a handoff: they now own the lead', { lead: LeadIn('accepted'), handoff: Handoff, rep: RepRef }),
  'handoff.declined': data('A rep declined a handoff; lead.rerouted or lead.escalated follows in the same transaction', {
    lead: LeadIn(...PENDING),
    handoff: Handoff,
    rep: RepRef,
    reason: Type.String({ description: "The rep's reason" }),
  }),
  'handoff.expired': data('A handoff reached its deadline unanswered; lead.rerouted or lead.escalated follows in the same transaction', {
    lead: LeadIn(...PENDING),
    handoff: Handoff,
    rep: RepRef,
  }),
  'handoff.reminder': data(
    "A reminder before a pending handoff's deadline (the rule's remindBeforeSeconds, else the tier's, else half the window)",
    {
      lead: LeadIn(...PENDING),
      handoff: Handoff,
      rep: RepRef,
      beforeSeconds: Type.Integer({ description: "This reminder's place: seconds of the deadline's clock before the deadline" }),
      secondsLeft: Type.Integer({ description: 'Wall seconds until the deadline when the reminder went out' }),
    },
  ),
  'handoff.withdrawn': data(
    'A pending handoff was taken back before its rep answered (the rep handed their pending offers back); lead.rerouted follows',
    {
      lead: LeadIn(...PENDING),
      handoff: Handoff,
      rep: RepRef,
      reason: Type.String({ description: 'Why it was withdrawn' }),
    },
  ),
  'lead.rerouted': data(
    'After a decline or an expiry, the lead was routed again to a rep who has not had it (lead.assigned or lead.unroutable follows)',
    {
      lead: LeadIn('pending_acceptance', 'unrouted'),
      from: Handoff,
      to: Nullable(Handoff),
      reason: oneOf(['declined', 'expired', 'handed_back'] as const),
      attempt: Type.Integer({ minimum: 2, description: 'The number of the new attempt' }),
    },
  ),
  'lead.escalated': Type.Union(
    [
      data('Escalated to a manager, who is offered a handoff (lead.assigned follows)', {
        lead: LeadIn('escalated'),
        handoff: Handoff,
        rep: RepRef,
        attempts: Type.Integer({ minimum: 1 }),
        reason: Type.String(),
        needsAssignment: Type.Literal(false),
      }),
      data('Escalated with no manager left to offer it to: it waits for a person', {
        lead: LeadIn('escalated'),
        handoff: Type.Null(),
        attempts: Type.Integer({ minimum: 1 }),
        reason: Type.String(),
        needsAssignment: Type.Literal(true, {
          description: 'Nobody is left to offer it to: a person picks it up (GET /v1/leads?status=escalated, then reassign)',
        }),
      }),
    ],
    { description: "maxAttempts reps did not take the lead: escalated to the team's (else the rep's) manager, or left for a person" },
  ),
  'lead.reassigned': data(
    'The lead was moved on from the rep who had it: by a person (POST /v1/leads/:id/reassign), or because its first ' +
      'contact was overdue (firstContact.onOverdue reassign). lead.assigned, lead.unroutable, lead.escalated or task.created ' +
      'follows in the same transaction',
    {
      lead: LeadIn('pending_acceptance', 'unrouted', 'escalated', 'accepted', 'contacted'),
      reason: Type.String({ description: "Why: the person's reason, or contact_overdue" }),
      mode: oneOf(['offer', 'transfer', 'routing'] as const),
      actor: Type.Object(
        { type: oneOf(['system', 'admin', 'manager', 'integration'] as const), id: Nullable(Type.String()) },
        { ...strict, description: "Who moved it: the token's subject (a manager: their rep id), or system (a follow-through rule)" },
      ),
      from: Type.Union([RepRef, Type.Null()], { description: 'The rep who had it (owner, or the rep it waited for); null: nobody' }),
      to: Type.Union([RepRef, Type.Null()], {
        description: 'The rep now offered or given the lead; null while it waits unrouted or escalated',
      }),
      handoff: Type.Union([Handoff, Type.Null()], {
        description: 'The new offer (mode offer or routing) or ownership (transfer), when there is one',
      }),
    },
  ),
  'task.created': data('Accepting (or a transfer) created the first-contact task', { lead: LeadIn('accepted'), task: Task }),
  'task.completed': data('A task was completed: by hand, by the first contact, or by conversion', {
    lead: LeadIn('accepted', 'contacted', 'converted'),
    task: Task,
  }),
  'lead.contacted': data("The owner logged the lead's first call, email or meeting", { lead: LeadIn('contacted'), activity: Activity }),
  'lead.contact_overdue': data('The first-contact task passed its due time with no contact (sent once per task)', {
    lead: LeadIn('accepted'),
    task: Task,
    overdueBySeconds: Type.Integer({ minimum: 0 }),
    manager: Type.Union([RepRef, Type.Null()], { description: "The owner's manager (the team's, else the rep's), to follow up" }),
    reassignAt: Type.Union([Timestamp, Type.Null()], {
      description: 'firstContact.onOverdue reassign: when the lead moves on if still uncontacted; null: notify only',
    }),
  }),
  'lead.converted': data('An owned lead became an opportunity (POST /v1/leads/:id/convert)', {
    lead: LeadIn('converted'),
    opportunity: Opportunity,
  }),
  'lead.won': Outcome('won'),
  'lead.lost': Outcome('lost'),
  'lead.closed': data('A lead was closed without an opportunity; a waiting handoff is withdrawn and open tasks cancelled', {
    lead: LeadIn('closed'),
    reason: Type.String(),
    handoff: Type.Optional(Handoff),
  }),
  'rep.auto_away': data('A rep let autoAwayAfter handoffs in a row expire and was set away (sent with the handoff.expired that did it)', {
    rep: Type.Object({ ...RepRef.properties, status: Type.Literal('away') }, strict),
    lead: LeadSnapshot,
    expiredInRow: Type.Integer({ minimum: 1 }),
    reason: Type.String(),
  }),
  'rep.away': data('A rep became away, or an away rep changed when they are back', {
    rep: RepWithStatus('away'),
    actor: RepActor,
    awayUntil: Nullable(Timestamp),
  }),
  'rep.available': data('An away rep is available again', { rep: RepWithStatus('available'), actor: RepActor }),
  'webhook_endpoint.disabled': data('A webhook endpoint was disabled: it answered 410 Gone, or every delivery failed for 5 days', {
    endpoint: Type.Object(
      {
        id: Uuid,
        origin: Type.String({ description: 'Scheme, host and port of its URL: never the path or query, which can be credentials' }),
        description: Nullable(Type.String()),
        kind: oneOf(['standard', 'slack'] as const),
      },
      strict,
    ),
    reason: Type.String(),
    failingSince: Nullable(
      Type.String({
        format: 'date-time',
        description: 'When its failing streak began (for a 410 after successes, that attempt); null when a success came in the same batch',
      }),
    ),
  }),
} satisfies Record<EventType, TSchema>

/** Types whose events are about no lead: their `sequence` is null. */
const LEADLESS: ReadonlySet<EventType> = new Set(['webhook_endpoint.disabled', 'rep.away', 'rep.available'])

const SEQUENCE = "The event's place among its lead's events (1, 2, 3…): receivers order and dedupe by it"

/**
 * The whole body of one event type: what GET /v1/events serves and webhooks post
 * (toEvent in events.service.ts). rep.auto_away carries the sequence of the lead whose
 * expired handoff set the rep away.
 */
export function eventPayloadSchema(type: EventType): TObject {
  return Type.Object(
    {
      id: Type.String({ format: 'uuid', description: 'The event id (UUIDv7, time-ordered); the webhook-id header too' }),
      type: Type.Literal(type),
      timestamp: Type.String({ format: 'date-time', description: 'When it happened' }),
      sequence: LEADLESS.has(type)
        ? Type.Null({ description: 'Null: the event is about no lead' })
        : Type.Integer({
            minimum: 1,
            description: type === 'rep.auto_away' ? `${SEQUENCE}; here the lead whose expired handoff set the rep away` : SEQUENCE,
          }),
      data: EVENT_DATA[type],
    },
    strict,
  )
}

/** The schemas the generated spec has under components.schemas (addSchema'd, or named by $id on a route). */
export const SPEC_COMPONENTS: ReadonlySet<string> = new Set([
  'Problem',
  'Rep',
  'Team',
  'Account',
  'Handoff',
  'Task',
  'Lead',
  'Event',
  'Source',
  'WebhookEndpoint',
])

/**
 * Plain JSON of a schema: a nested schema with a component's $id becomes a $ref, any other
 * $id is dropped, and so is `additionalProperties: false` — it keeps our own tests strict,
 * but published it would tell receivers to reject fields we may add later.
 */
function toSpecJson(schema: TSchema, components: ReadonlySet<string>): unknown {
  const walk = (node: unknown, top: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, false))
    if (node === null || typeof node !== 'object') return node
    const { $id, ...rest } = node as Record<string, unknown>
    if (!top && typeof $id === 'string' && components.has($id)) return { $ref: `#/components/schemas/${$id}` }
    return Object.fromEntries(
      Object.entries(rest)
        .filter(([key, value]) => !(key === 'additionalProperties' && value === false))
        .map(([key, value]) => [key, walk(value, false)]),
    )
  }
  // JSON round trip first: it drops TypeBox's symbol keys.
  return walk(JSON.parse(JSON.stringify(schema)), true)
}

const header = (name: string, description: string, pattern?: string) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string', ...(pattern ? { pattern } : {}) },
})

const SIGNATURE_HEADERS = [
  header('webhook-id', 'The event id: the same on every retry and replay of this event, so receivers deduplicate on it.'),
  header(
    'webhook-timestamp',
    'Unix time in seconds when this attempt was signed; reject messages too far from your clock (e.g. 5 minutes) to stop replays.',
    '^[0-9]+$',
  ),
  header(
    'webhook-signature',
    'Space-separated `v1,<signature>` entries: each the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>` keyed ' +
      'with the ' +
      "base64-decoded endpoint secret (without `whsec_`). Two during a secret rotation's grace period; accept the message if any one " +
      'matches. ' +
      'Verify with a Standard Webhooks library (e.g. the `standardwebhooks` npm package).',
  ),
]

const DELIVERY =
  'Delivered at least once, per Standard Webhooks, to every enabled endpoint whose eventTypes match; order is not guaranteed ' +
  '(use `sequence`). Any answer but 2xx and 410 (redirects are not followed), or none within 15 s, is retried: by default after ' +
  '5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, ±20 %, or when a 429 or 503 says Retry-After. ' +
  'A body over 20 KB arrives cut down to `data: {lead, truncated: true}`; GET /v1/events has the whole event.'

/**
 * The OpenAPI 3.1 `webhooks` object: one POST per event type with its body schema,
 * as plain JSON whose Handoff, Task … are $refs to `components` (those in `components`).
 */
export function webhooksSection(components: ReadonlySet<string> = SPEC_COMPONENTS): Record<EventType, unknown> {
  const entries = EVENT_TYPES.map((type) => [
    type,
    {
      post: {
        summary: type,
        description: `${EVENT_DATA[type].description ?? ''}.\n\n${DELIVERY}`,
        tags: ['webhooks'],
        parameters: SIGNATURE_HEADERS,
        requestBody: { required: true, content: { 'application/json': { schema: toSpecJson(eventPayloadSchema(type), components) } } },
        responses: {
          '2XX': { description: 'Received: any 2xx answer ends the retries' },
          '410': { description: 'Gone: disables the endpoint at once (event webhook_endpoint.disabled); nothing more is sent to it' },
        },
      },
    },
  ])
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<EventType, unknown>
}
