import type { RepAttributes, WorkingHours } from '../../db/schema/reps.ts'
import { addDays, localTime, toMinutes, weekdayOf, zonedInstant, type LocalTime } from './local-time.ts'

/** What routing knows about a rep at the moment of a decision. */
export interface RepState {
  id: string
  name: string
  timezone: string
  /** null: always working. */
  workingHours: WorkingHours | null
  holidays: string[]
  status: 'available' | 'away'
  maxPending: number | null
  maxPerDay: number | null
  /** Handoffs waiting for this rep's answer. */
  pending: number
  /** Leads accepted and not yet contacted. */
  unworked: number
  /** The rep's local date `dayCount` counts leads for. */
  day: string | null
  dayCount: number
  deleted: boolean
  /** What team targets' requirements match (territories, languages, …); absent: none. */
  attributes?: RepAttributes
}

/** Why a rep can or cannot take a lead now, and when that may change. */
export interface Eligibility {
  eligible: boolean
  /** Why not, in words an admin reads: "away", "at capacity 3/3", … */
  reason?: string
  /**
   * When the rep next becomes eligible by the calendar alone (working hours, holidays,
   * the daily limit); null when only an event can change it (back from away, a handoff answered).
   */
  opensAt?: Date | null
}

/** How far ahead to look for a rep's next working window. */
const HORIZON_DAYS = 14
const WEEKDAY_NAMES = {
  mon: 'Mondays',
  tue: 'Tuesdays',
  wed: 'Wednesdays',
  thu: 'Thursdays',
  fri: 'Fridays',
  sat: 'Saturdays',
  sun: 'Sundays',
}

/** Leads taken today in the rep's own time zone. */
export const takenToday = (rep: RepState, today: string): number => (rep.day === today ? rep.dayCount : 0)

/**
 * Whether `rep` can take a new lead at `now`: available, inside working hours in their
 * own time zone, not on a holiday, under both capacity limits. Pure. `opensAt` is
 * worked out only when asked for (`withOpening`): it is the costly part, and a lead
 * that finds someone eligible never needs it.
 */
export function eligibility(rep: RepState, now: Date, local: LocalTime = localTime(now, rep.timezone), withOpening = true): Eligibility {
  if (rep.deleted) return { eligible: false, reason: 'no longer a rep', opensAt: null }
  if (rep.status === 'away') return { eligible: false, reason: 'away', opensAt: null }
  if (rep.maxPending !== null && rep.pending >= rep.maxPending) {
    return { eligible: false, reason: `at capacity ${rep.pending}/${rep.maxPending}`, opensAt: null }
  }
  const dailyFull = rep.maxPerDay !== null && takenToday(rep, local.date) >= rep.maxPerDay
  const holiday = rep.holidays.includes(local.date)
  const working = !holiday && isWorking(rep.workingHours, local)
  if (working && !dailyFull) return { eligible: true }
  const opening = withOpening ? { opensAt: nextOpening(rep, now, local, dailyFull) } : {}
  if (holiday) return { eligible: false, reason: `on holiday (${local.date})`, ...opening }
  if (!working) return { eligible: false, reason: offHours(rep.workingHours!, local, rep.timezone), ...opening }
  return { eligible: false, reason: `daily limit reached ${takenToday(rep, local.date)}/${rep.maxPerDay}`, ...opening }
}

/** When an ineligible rep next becomes eligible by the calendar (see Eligibility.opensAt). */
export function opensAt(rep: RepState, now: Date, local: LocalTime = localTime(now, rep.timezone)): Date | null {
  return eligibility(rep, now, local, true).opensAt ?? null
}

function isWorking(hours: WorkingHours | null, local: LocalTime): boolean {
  if (!hours) return true
  return (hours[local.weekday] ?? []).some((w) => local.minutes >= toMinutes(w.start) && local.minutes < toMinutes(w.end))
}

/** "outside working hours 09:00–17:00 Europe/Berlin", or "not working on Sundays (…)". */
function offHours(hours: WorkingHours, local: LocalTime, timeZone: string): string {
  const today = hours[local.weekday] ?? []
  if (today.length === 0) return `not working on ${WEEKDAY_NAMES[local.weekday]} (${timeZone})`
  const windows = [...today].sort((a, b) => toMinutes(a.start) - toMinutes(b.start)).map((w) => `${w.start}–${w.end}`)
  return `outside working hours ${windows.join(', ')} ${timeZone}`
}

/**
 * The first instant after `now` at which the calendar lets the rep work: a working
 * window on a day that is not a holiday (and not today, when today's limit is used up).
 */
function nextOpening(rep: RepState, now: Date, local: LocalTime, skipToday: boolean): Date | null {
  for (let offset = skipToday ? 1 : 0; offset <= HORIZON_DAYS; offset++) {
    const date = addDays(local.date, offset)
    if (rep.holidays.includes(date)) continue
    const windows = rep.workingHours ? (rep.workingHours[weekdayOf(date)] ?? []) : [{ start: '00:00', end: '24:00' }]
    const starts = windows
      .filter((w) => offset > 0 || toMinutes(w.end) > local.minutes)
      .map((w) => notBefore(now, date, offset > 0 ? toMinutes(w.start) : Math.max(toMinutes(w.start), local.minutes), rep.timezone))
      .filter((at): at is Date => at !== null)
      .sort((a, b) => a.getTime() - b.getTime())
    if (starts[0]) return starts[0]
  }
  return null
}

/**
 * The instant the zone's clocks show `minutes` on `date`, not before `now` (give or take
 * the minute `now` is in). In the autumn hour that happens twice, a wall time whose first
 * occurrence has passed may still come again: 30 or 60 minutes later.
 */
function notBefore(now: Date, date: string, minutes: number, timeZone: string): Date | null {
  const first = zonedInstant(date, minutes, timeZone)
  const floor = now.getTime() - 60_000
  if (first.getTime() >= floor) return first.getTime() < now.getTime() ? now : first
  for (const later of [30, 60].map((m) => new Date(first.getTime() + m * 60_000))) {
    if (later.getTime() >= floor && localTime(later, timeZone).minutes === minutes % 1440)
      return later.getTime() < now.getTime() ? now : later
  }
  return null
}
