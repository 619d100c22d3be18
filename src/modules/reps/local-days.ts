import { WEEKDAYS, type WorkingHours } from '../../db/schema/reps.ts'
import { toMinutes, zonedInstant } from '../routing/local-time.ts'

// Calendar arithmetic for working time, by local day number (days since 1970-01-01 on the
// zone's own calendar). Reading a zone's offset through Intl is the costly step, so each
// (zone, day) is read once: where the day has no offset change, every wall time on it is its
// local midnight plus the minutes.

const DAY_MS = 86_400_000
const MAX_DAYS_PER_ZONE = 10_000

interface LocalDay {
  /** The instant of the day's local 00:00. */
  midnight: number
  /** Until the next local 00:00: 23 or 25 hours on a day the clocks change. */
  length: number
}

const zones = new Map<string, Map<number, LocalDay>>()

const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)

function localDay(zone: string, day: number): LocalDay {
  let days = zones.get(zone)
  if (!days) zones.set(zone, (days = new Map<number, LocalDay>()))
  let found = days.get(day)
  if (!found) {
    const date = dateOf(day)
    const midnight = zonedInstant(date, 0, zone).getTime()
    found = { midnight, length: zonedInstant(date, 1440, zone).getTime() - midnight }
    if (days.size >= MAX_DAYS_PER_ZONE) days.clear()
    days.set(day, found)
  }
  return found
}

/** The instant the zone's clocks show `minutes` past midnight (up to 1440) on local day `day`. */
export function instantOn(zone: string, day: number, minutes: number): number {
  const { midnight, length } = localDay(zone, day)
  return length === DAY_MS ? midnight + minutes * 60_000 : zonedInstant(dateOf(day), minutes, zone).getTime()
}

/** The local day `at` falls on in `zone`. */
export function dayOf(zone: string, at: number): number {
  const utcDay = Math.floor(at / DAY_MS)
  for (const day of [utcDay, utcDay - 1, utcDay + 1]) {
    const { midnight, length } = localDay(zone, day)
    if (at >= midnight && at < midnight + length) return day
  }
  return utcDay
}

/** The weekday of a day number, as WEEKDAYS indexes them (1970-01-01 was a Thursday). */
export const weekdayIndex = (day: number): number => (day + 3) % 7

const weeks = new WeakMap<WorkingHours, Array<Array<[number, number]>>>()
const holidaySets = new WeakMap<string[], Set<number>>()

/** A schedule's windows per weekday (WEEKDAYS order), as sorted [start, end] minutes; worked out once per object. */
export function weekOf(hours: WorkingHours): Array<Array<[number, number]>> {
  let week = weeks.get(hours)
  if (!week) {
    week = WEEKDAYS.map((weekday) =>
      (hours[weekday] ?? []).map((w): [number, number] => [toMinutes(w.start), toMinutes(w.end)]).sort((a, b) => a[0] - b[0]),
    )
    weeks.set(hours, week)
  }
  return week
}

/** A holiday list as day numbers; worked out once per array. */
export function holidaysOf(holidays: string[]): Set<number> {
  let set = holidaySets.get(holidays)
  if (!set) {
    set = new Set(holidays.map((date) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS)))
    holidaySets.set(holidays, set)
  }
  return set
}
