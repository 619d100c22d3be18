import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from '../../lib/schemas.ts'
import { DeadlineClockSchema } from '../../db/schema/json/deadline-clock.ts'
import type { Trace } from '../../db/schema/json/trace.ts'

// Apart from routing.schemas.ts, which needs the lead schemas: these are part of them.

/** The engine's trace (db/schema/json/trace.ts): documented in the README, typed there. */
export const TraceSchema = Type.Unsafe<Trace>({
  type: 'object',
  additionalProperties: true,
  description: "Every rule tried (with each condition leaf when simulating) and every rep's eligibility with the reason",
})

export const RoutingDecision = Type.Object({
  outcome: Type.Union([Type.Literal('assigned'), Type.Literal('unroutable'), Type.Literal('not_routed')]),
  version: Type.Union([Type.Integer(), Type.Null()], { description: 'The ruleset version; null for a draft' }),
  rule: Type.Union([Type.String(), Type.Null()], { description: 'The rule that placed the lead ("fallback" for the fallback)' }),
  repId: Type.Union([Uuid, Type.Null()]),
  teamId: Type.Union([Uuid, Type.Null()]),
  reason: Type.String({ description: 'Why, in one sentence' }),
  acceptWithinSeconds: Type.Union([Type.Integer(), Type.Null()]),
  clock: Type.Union([DeadlineClockSchema, Type.Null()], { description: 'How acceptWithinSeconds counts' }),
  deadlineAt: Type.Union([Timestamp, Type.Null()], { description: 'When the rep it went to must have accepted by, on their own calendar' }),
  retryAt: Type.Union([Timestamp, Type.Null()], {
    description: 'When an unroutable lead will be tried again by the calendar; null: when a rep turns available or the rules change',
  }),
})
export type RoutingDecision = Static<typeof RoutingDecision>
