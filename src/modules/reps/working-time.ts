import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import type { WorkingHours } from '../../db/schema/reps.ts'
import { dayOf, holidaysOf, instantOn, weekdayIndex, weekOf } from './local-days.ts'

/** What working time is made of: the rep's windows in their own zone, less their holidays. */
export interface Schedule {
  timezone: string
  /** null: always working, so both clocks agree. */
  workingHours: WorkingHours | null
  holidays: string[]
}

// A year and a bit: a rep whose calendar has no working second in that long (every day a
// holiday, or no window on any day) is given wall time instead of a deadline that never comes.
const HORIZON_DAYS = 400

/** One stretch of working time, as instants (ms): [from, to). */
interface Stretch {
  from: number
  to: number
}

/**
 * The rep's working stretches from `start` on, in order, clipped to start at `start`. A
 * window's ends are read on the rep's own clock each day, so a window on a day that springs
 * forward is an hour shorter and one on a day that falls back an hour longer, as worked.
 */
function* windowsFrom(start: number, schedule: Schedule, hours: WorkingHours): Generator<Stretch> {
  const zone = schedule.timezone
  const week = weekOf(hours)
  const holidays = holidaysOf(schedule.holidays)
  const first = dayOf(zone, start)
  for (let day = first; day <= first + HORIZON_DAYS; day++) {
    if (holidays.has(day)) continue
    for (const [opens, closes] of week[weekdayIndex(day)]!) {
      const to = instantOn(zone, day, closes)
      if (to <= start) continue
      const from = Math.max(start, instantOn(zone, day, opens))
      if (to > from) yield { from, to }
    }
  }
}

/**
 * When `seconds` run out from `start` on `clock`. `wall`: start + seconds. `working`: only
 * the rep's working time counts, so a start outside a window counts from the next window.
 * A rep without working hours is always working: both clocks give the same instant.
 */
export function dueAt(start: Date, seconds: number, clock: DeadlineClock, schedule: Schedule): Date {
  const wall = new Date(start.getTime() + seconds * 1000)
  if (clock === 'wall' || !schedule.workingHours) return wall
  let remaining = seconds * 1000
  for (const { from, to } of windowsFrom(start.getTime(), schedule, schedule.workingHours)) {
    if (remaining <= to - from) return new Date(from + remaining)
    remaining -= to - from
  }
  return wall
}

/** The rep's working seconds between `from` and `to` (0 when `to` is not after `from`). */
export function workingSecondsBetween(from: Date, to: Date, schedule: Schedule): number {
  if (to <= from) return 0
  if (!schedule.workingHours) return Math.round((to.getTime() - from.getTime()) / 1000)
  let total = 0
  for (const stretch of windowsFrom(from.getTime(), schedule, schedule.workingHours)) {
    if (stretch.from >= to.getTime()) break
    total += Math.min(stretch.to, to.getTime()) - stretch.from
  }
  return Math.round(total / 1000)
}

// Deadlines are at most 7 days long: a shift that runs on past that is as good as endless.
const LONGEST_DEADLINE_MS = 7 * 24 * 3600 * 1000

/**
 * When the rep's working time that `at` is in ends, windows that touch (12:00–13:00 then
 * 13:00–17:00, or 24:00 then 00:00) counted as one; undefined when `at` is outside working
 * time, or the rep has no working hours (always working).
 */
export function shiftEnd(at: Date, schedule: Schedule): Date | undefined {
  if (!schedule.workingHours) return undefined
  const limit = at.getTime() + LONGEST_DEADLINE_MS
  let end: number | undefined
  for (const { from, to } of windowsFrom(at.getTime(), schedule, schedule.workingHours)) {
    if (end === undefined ? from !== at.getTime() : from > end) break
    end = Math.max(end ?? to, to)
    if (end >= limit) break
  }
  return end === undefined ? undefined : new Date(end)
}

/** Whether `at` is inside the rep's working time (always, for a rep without working hours). */
export const workedAt = (at: Date, schedule: Schedule): boolean => !schedule.workingHours || shiftEnd(at, schedule) !== undefined
