import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from '../../lib/schemas.ts'
import { LeadInput } from '../leads/leads.schemas.ts'
import { ConditionSchema } from '../scoring/scoring.schemas.ts'
import { RoutingDecision, TraceSchema } from './decision.schemas.ts'

export const Assign = Type.Union(
  [
    Type.Object({ type: Type.Literal('team'), teamId: Uuid }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('rep'), repId: Uuid }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('account_owner') }, { additionalProperties: false }),
  ],
  { description: 'Who gets the lead: a team (by its strategy), one rep, or the owner of the account the lead\'s domain belongs to' },
)
export type Assign = Static<typeof Assign>

/** The largest ruleset accepted; the engine decides within a millisecond at this size. */
export const MAX_RULES = 2000

export const RoutingRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Unique within the ruleset; recorded on every assignment' }),
    when: Type.Optional(Type.Union([ConditionSchema], { description: 'Absent: every lead matches' })),
    assign: Assign,
    acceptWithinSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: 'Overrides the intent tier\'s deadline (seconds)' })),
  },
  { additionalProperties: false },
)
export type RoutingRule = Static<typeof RoutingRule>

export const RulesetBody = Type.Object(
  {
    rules: Type.Array(RoutingRule, { maxItems: MAX_RULES, description: 'Tried in order: the first matching rule with an eligible rep wins' }),
    fallback: Type.Union([Assign, Type.Null()], { description: 'Used when no rule placed the lead; null: the lead waits as unrouted' }),
  },
  { additionalProperties: false },
)
export type Ruleset = Static<typeof RulesetBody>

export const RulesetVersion = Type.Composite([Type.Object({ version: Type.Integer(), createdAt: Timestamp }), RulesetBody], { $id: 'RoutingRuleset' })
export type RulesetVersion = Static<typeof RulesetVersion>

export const RulesetSummary = Type.Object({
  version: Type.Integer(),
  createdAt: Timestamp,
  rules: Type.Integer({ description: 'How many rules the version has' }),
  fallback: Type.Union([Assign, Type.Null()]),
})

export const VersionsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type VersionsQuery = Static<typeof VersionsQuery>

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false })


// One object rather than a union of two shapes, so that a mistake inside either
// (a lead without email, a bad deadline) is reported at its own JSON pointer.
export const SimulateBody = Type.Object(
  {
    lead: Type.Optional(LeadInput),
    ruleset: Type.Optional(RulesetBody),
    replay: Type.Optional(Type.Object({ last: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false })),
  },
  {
    additionalProperties: false,
    description: '`{lead, ruleset?}`: one lead against the live ruleset or a draft. `{ruleset, replay: {last: N}}`: a draft against the last N qualified leads.',
  },
)
export type SimulateBody = Static<typeof SimulateBody>


export const SimulateAnswer = Type.Union([
  Type.Object({
    decision: RoutingDecision,
    qualified: Type.Boolean({ description: 'Only qualified leads are routed; the decision of an unqualified lead is not_routed' }),
    trace: TraceSchema,
  }),
  Type.Object({
    replay: Type.Object({
      leads: Type.Integer(),
      changed: Type.Integer(),
      assumptions: Type.String(),
      moves: Type.Array(Type.Object({ from: Type.Union([Uuid, Type.Null()]), to: Type.Union([Uuid, Type.Null()]), count: Type.Integer() })),
    }),
    data: Type.Array(
      Type.Object({
        leadId: Uuid,
        createdAt: Timestamp,
        before: Type.Object({ repId: Type.Union([Uuid, Type.Null()]), rule: Type.Union([Type.String(), Type.Null()]), version: Type.Union([Type.Integer(), Type.Null()]) }),
        after: RoutingDecision,
      }),
    ),
  }),
])
