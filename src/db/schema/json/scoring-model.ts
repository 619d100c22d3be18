import { Type, type Static } from '@sinclair/typebox'
import { ConditionSchema } from './condition.ts'
import { DeadlineClockSchema, type DeadlineClock } from './deadline-clock.ts'

// A scoring model as PUT /v1/scoring accepts it and scoring_models stores it.

export const TIERS = ['high', 'demo', 'standard'] as const

const Tier = Type.Union(TIERS.map((tier) => Type.Literal(tier)))
const RuleName = Type.String({ minLength: 1, maxLength: 100 })
const Seconds = Type.Integer({ minimum: 30, maximum: 7 * 24 * 3600 })
const Reminders = Type.Array(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }), { maxItems: 5 })

export const ScoringModelBody = Type.Object(
  {
    rules: Type.Array(
      Type.Object(
        { name: Type.Optional(RuleName), when: ConditionSchema, points: Type.Integer({ minimum: -1000, maximum: 1000 }) },
        { additionalProperties: false },
      ),
      { maxItems: 200, description: 'Every matching rule adds its points' },
    ),
    qualifyAt: Type.Integer({ minimum: -100_000, maximum: 100_000, description: 'A lead with at least this score is qualified' }),
    disqualify: Type.Array(
      Type.Object({ when: ConditionSchema, reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      { maxItems: 100, description: 'Any match disqualifies, whatever the score (and before any fast lane)' },
    ),
    fastLane: Type.Array(Type.Object({ name: Type.Optional(RuleName), when: ConditionSchema }, { additionalProperties: false }), {
      maxItems: 50,
      description: 'Any match qualifies at once, whatever the score',
    }),
    tiers: Type.Array(Type.Object({ when: ConditionSchema, tier: Tier }, { additionalProperties: false }), {
      maxItems: 50,
      description: "The first match sets a qualified lead's intent tier; none matching: standard",
    }),
    deadlines: Type.Object(
      { high: Seconds, demo: Seconds, standard: Seconds },
      { additionalProperties: false, description: 'Seconds a rep has to accept, per tier' },
    ),
    clocks: Type.Optional(
      Type.Object(
        { high: DeadlineClockSchema, demo: DeadlineClockSchema, standard: DeadlineClockSchema },
        {
          additionalProperties: false,
          description:
            "How each tier's deadline counts: wall or the rep's working time; default high: wall (a 5-minute promise is real " +
            'minutes), demo and standard: working',
        },
      ),
    ),
    reminders: Type.Optional(
      Type.Object(
        { high: Type.Optional(Reminders), demo: Type.Optional(Reminders), standard: Type.Optional(Reminders) },
        {
          additionalProperties: false,
          description:
            'Per tier, seconds before the deadline at which handoff.reminder goes out; default one at half the window (10 minutes or more)',
        },
      ),
    ),
    firstContact: Type.Optional(
      Type.Object(
        {
          high: Seconds,
          demo: Seconds,
          standard: Seconds,
          onOverdue: Type.Optional(
            Type.Union([Type.Literal('notify'), Type.Literal('reassign')], {
              description:
                "notify (default): lead.contact_overdue, naming the owner's manager. reassign: that, and after graceSeconds " +
                'the uncontacted lead goes back into routing to a rep who has not had it (lead.reassigned)',
            }),
          ),
          graceSeconds: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 7 * 24 * 3600,
              description: "With reassign: the owner's working seconds after the due time before the lead moves; default 0",
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            "Seconds of the owner's working time after acceptance by which the first call, email or meeting is due, per tier " +
            '(default 300, 1800, 3600), and what happens when it is not made',
        },
      ),
    ),
  },
  { additionalProperties: false },
)
export type ScoringModel = Static<typeof ScoringModelBody>

/** The clocks of a model that names none. */
export const DEFAULT_CLOCKS: Record<(typeof TIERS)[number], DeadlineClock> = { high: 'wall', demo: 'working', standard: 'working' }
