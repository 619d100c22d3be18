import { Type, type Static } from '@sinclair/typebox'
import { Uuid } from '../../../lib/schemas.ts'
import { ConditionSchema } from './condition.ts'
import { DeadlineClockSchema } from './deadline-clock.ts'

// A routing ruleset as PUT /v1/routing accepts it and routing_rulesets stores it; handoffs
// store the `assign` that placed them.

export const Assign = Type.Union(
  [
    Type.Object({ type: Type.Literal('team'), teamId: Uuid }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('rep'), repId: Uuid }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('account_owner') }, { additionalProperties: false }),
  ],
  { description: "Who gets the lead: a team (by its strategy), one rep, or the owner of the account the lead's domain belongs to" },
)
export type Assign = Static<typeof Assign>

/** The largest ruleset accepted; the engine decides within a millisecond at this size. */
export const MAX_RULES = 2000

export const RoutingRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Unique within the ruleset; recorded on every assignment' }),
    when: Type.Optional(Type.Union([ConditionSchema], { description: 'Absent: every lead matches' })),
    assign: Assign,
    clock: Type.Optional(Type.Union([DeadlineClockSchema], { description: "How the deadline counts; default: the intent tier's clock" })),
    remindBeforeSeconds: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }), {
        maxItems: 5,
        description:
          "Reminders (handoff.reminder), each this many seconds of the deadline's clock before it; [] for none. " +
          "Default: the intent tier's, else one at half the window for windows of 10 minutes or more",
      }),
    ),
    acceptWithinSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: "Overrides the intent tier's deadline (seconds)" }),
    ),
  },
  { additionalProperties: false },
)
export type RoutingRule = Static<typeof RoutingRule>

export const RulesetBody = Type.Object(
  {
    rules: Type.Array(RoutingRule, {
      maxItems: MAX_RULES,
      description: 'Tried in order: the first matching rule with an eligible rep wins',
    }),
    fallback: Type.Union([Assign, Type.Null()], { description: 'Used when no rule placed the lead; null: the lead waits as unrouted' }),
  },
  { additionalProperties: false },
)
export type Ruleset = Static<typeof RulesetBody>

/** The ruleset a fresh database routes with until an admin publishes one: every lead waits as unrouted. */
export const EMPTY_RULESET: Ruleset = { rules: [], fallback: null }
