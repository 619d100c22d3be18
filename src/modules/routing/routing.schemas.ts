import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from '../../lib/schemas.ts'
import { LeadInput } from '../leads/leads.schemas.ts'
import { RulesetBody } from '../../db/schema/json/ruleset.ts'
import { RoutingDecision, TraceSchema } from './decision.schemas.ts'
import { Assign } from '../../db/schema/json/ruleset.ts'

export const RulesetVersion = Type.Composite([Type.Object({ version: Type.Integer(), createdAt: Timestamp }), RulesetBody], {
  $id: 'RoutingRuleset',
})
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
    description:
      '`{lead, ruleset?}`: one lead against the live ruleset or a draft. `{ruleset, replay: {last: N}}`: a draft against the last N ' +
      'qualified leads.',
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
        before: Type.Object({
          repId: Type.Union([Uuid, Type.Null()]),
          rule: Type.Union([Type.String(), Type.Null()]),
          version: Type.Union([Type.Integer(), Type.Null()]),
        }),
        after: RoutingDecision,
      }),
    ),
  }),
])
