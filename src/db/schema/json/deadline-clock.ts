import { Type } from '@sinclair/typebox'

/** How a deadline counts: every second (`wall`), or only the rep's working seconds (`working`). */
export const DEADLINE_CLOCKS = ['wall', 'working'] as const
export type DeadlineClock = (typeof DEADLINE_CLOCKS)[number]

export const DeadlineClockSchema = Type.Union(
  DEADLINE_CLOCKS.map((clock) => Type.Literal(clock)),
  { description: "wall: every second counts; working: only the rep's working hours (their zone, windows and holidays) count" },
)
