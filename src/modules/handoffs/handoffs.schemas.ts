import { Type, type Static } from '@sinclair/typebox'
import { HANDOFF_STATUSES } from '../../db/schema/handoffs.ts'
import { DeadlineClockSchema } from '../../db/schema/json/deadline-clock.ts'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'
import { TraceSchema } from '../routing/decision.schemas.ts'

/** A lead offered to a rep, with the deadline to accept it (SPEC "Handoffs"). */
export const Handoff = Type.Object(
  {
    id: Uuid,
    leadId: Uuid,
    repId: Uuid,
    status: Type.Union(HANDOFF_STATUSES.map((s) => Type.Literal(s))),
    attempt: Type.Integer({ description: '1 for the first rep offered the lead, 2 after a decline or expiry, …' }),
    deadlineAt: Type.String({ format: 'date-time', description: 'The instant the rep must have accepted by' }),
    clock: Type.Union([DeadlineClockSchema], {
      description:
        "How the deadline was counted from createdAt: wall seconds, or the rep's working seconds (their zone, windows, holidays)",
    }),
    acceptWithinSeconds: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The window on that clock; null for a handoff made before windows were recorded',
    }),
    reminders: Type.Array(
      Type.Object({
        beforeSeconds: Type.Integer({ description: "Seconds of the deadline's clock before the deadline" }),
        at: Type.String({ format: 'date-time', description: 'When it falls due' }),
        sentAt: Type.Union([Timestamp, Type.Null()], { description: 'When handoff.reminder went out; null until then' }),
      }),
      {
        description:
          "Reminders before the deadline, earliest first (the rule's remindBeforeSeconds, else the tier's, else half the window)",
      },
    ),
    createdAt: Timestamp,
    respondedAt: Type.Union([Timestamp, Type.Null()], { description: 'When it was accepted, declined or expired' }),
    reason: Type.Union([Type.String(), Type.Null()], {
      description: 'The decline reason, what expired or withdrew it, or why it was reassigned',
    }),
    routing: Type.Object(
      {
        version: Type.Union([Type.Integer(), Type.Null()], { description: 'The routing ruleset version that placed it' }),
        rule: Type.Union([Type.String(), Type.Null()], { description: 'The rule that matched ("fallback" for the fallback)' }),
        ruleIndex: Type.Union([Type.Integer(), Type.Null()], { description: 'Its position in the ruleset; -1 for the fallback' }),
        teamId: Type.Union([Uuid, Type.Null()]),
      },
      { description: 'What placed the handoff' },
    ),
  },
  { $id: 'Handoff' },
)
export type Handoff = Static<typeof Handoff>

export const HandoffWithTrace = Type.Composite([
  Handoff,
  Type.Object({
    workingSecondsLeft: Type.Union([Type.Integer(), Type.Null()], {
      description: "Of the rep's working time before the deadline; null once the handoff is no longer pending",
    }),
    trace: TraceSchema,
  }),
])

export const ListHandoffsQuery = Type.Object(
  {
    ...PageQuery,
    repId: Type.Optional(Type.String({ format: 'uuid', description: 'A rep token may give only its own id (or none)' })),
    status: Type.Optional(Type.Union(HANDOFF_STATUSES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
)
export type ListHandoffsQuery = Static<typeof ListHandoffsQuery>

export const DeclineBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: shown to admins and sent with handoff.declined' }) },
  { additionalProperties: false },
)
