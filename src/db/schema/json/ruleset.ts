import { Type, type Static } from '@sinclair/typebox'
import { Uuid } from '../../../lib/schemas.ts'
import { ConditionSchema } from './condition.ts'
import { DeadlineClockSchema } from './deadline-clock.ts'

// A routing ruleset as PUT /v1/routing accepts it and routing_rulesets stores it; handoffs
// store the `assign` that placed them.

/** The rep attributes a team target can require to match a lead field (reps' `attributes`). */
export const REP_ATTRIBUTES = ['territories', 'industries', 'segments', 'products', 'languages'] as const
export type RepAttribute = (typeof REP_ATTRIBUTES)[number]

export const AttributeRequirement = Type.Object(
  {
    attribute: Type.Unsafe<RepAttribute>({ type: 'string', enum: [...REP_ATTRIBUTES], description: "Which of the rep's attributes" }),
    matches: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The lead field it must match: `country`, `industry`, `productInterest`, `custom.language`, …',
    }),
  },
  {
    additionalProperties: false,
    description:
      "A rep is eligible only if one of their attribute's values equals the lead field's value (or one of them, for a list), " +
      'ignoring case. A lead without the field matches nobody under this requirement.',
  },
)
export type AttributeRequirement = Static<typeof AttributeRequirement>

/** The longest an account owner may be waited for: a week. */
export const MAX_OWNER_WAIT_SECONDS = 7 * 24 * 3600

export const Assign = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('team'),
        teamId: Uuid,
        require: Type.Optional(Type.Array(AttributeRequirement, { minItems: 1, maxItems: 5, description: 'Every one must hold' })),
      },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('rep'), repId: Uuid }, { additionalProperties: false }),
    Type.Object(
      {
        type: Type.Literal('account_owner'),
        ifUnavailable: Type.Optional(
          Type.Object(
            {
              waitSeconds: Type.Integer({
                minimum: 0,
                maximum: MAX_OWNER_WAIT_SECONDS,
                description: 'How long after the lead arrived it waits for its owner; 0: it goes on to the next rule at once',
              }),
            },
            {
              additionalProperties: false,
              description:
                'When the owner cannot take the lead (away, off shift, full), wait at most this long, then fall through to the ' +
                'next rule. Absent: the lead waits for its owner however long that takes',
            },
          ),
        ),
        matchCompanyName: Type.Optional(
          Type.Boolean({
            description:
              "When the lead's domain (and its parent domains) belong to no account, find the account by the lead's company " +
              'name, ignoring case, punctuation and legal suffixes (Inc, Ltd, GmbH, SA, …). Default false',
          }),
        ),
      },
      { additionalProperties: false },
    ),
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
