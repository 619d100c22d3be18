import { WEEKDAYS, type Weekday } from '../../db/schema/reps.ts'

/** A moment as a rep in `timeZone` reads it on their own calendar and clock. */
export interface LocalTime {
  /** Calendar date, YYYY-MM-DD. */
  date: string
  weekday: Weekday
  /** Minutes since local midnight, 0–1439. */
  minutes: number
}

// Building an Intl.DateTimeFormat costs far more than using one: one per zone, kept.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

const DAY_MS = 24 * 3600 * 1000
const WEEKDAY_OF: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' }

type Parts = Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'weekday', string>

// formatToParts is the costly step; a minute of one zone always reads the same, and
// routing asks about the same few minutes over and over. Bounded, cleared when full.
const partsCache = new Map<string, Parts>()
const MAX_CACHED_MINUTES = 20_000

/** The zone's calendar and clock at the start of the minute containing `at`. */
function parts(at: number, timeZone: string): Parts {
  const minute = Math.floor(at / 60_000)
  const key = `${timeZone} ${minute}`
  let cached = partsCache.get(key)
  if (!cached) {
    const out: Record<string, string> = {}
    for (const part of formatterFor(timeZone).formatToParts(minute * 60_000)) out[part.type] = part.value
    cached = out as Parts
    if (partsCache.size >= MAX_CACHED_MINUTES) partsCache.clear()
    partsCache.set(key, cached)
  }
  return cached
}

/** The local date, weekday and time of day of `at` in `timeZone`. */
export function localTime(at: Date | number, timeZone: string): LocalTime {
  const p = parts(typeof at === 'number' ? at : at.getTime(), timeZone)
  return { date: `${p.year}-${p.month}-${p.day}`, weekday: WEEKDAY_OF[p.weekday]!, minutes: Number(p.hour) * 60 + Number(p.minute) }
}

/** Milliseconds `timeZone` is ahead of UTC at the instant `at`. */
function offsetAt(at: number, timeZone: string): number {
  const p = parts(at, timeZone)
  // Offsets are whole minutes (every zone in use today), so the minute's start is enough.
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute))
  return asUtc - Math.floor(at / 60_000) * 60_000
}

/**
 * The instant at which clocks in `timeZone` show `date` and `minutes` past midnight.
 * A wall time skipped by a spring-forward change is read in the offset before the
 * change (02:30 in a 02:00→03:00 gap is 03:30 new time); a wall time that happens
 * twice in the autumn is its first occurrence.
 */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000
  // Zones change offset at most once around a given day: try the offset on either side.
  const before = wall - offsetAt(wall - DAY_MS, timeZone)
  const after = wall - offsetAt(wall + DAY_MS, timeZone)
  const real = [before, after].filter((at) => at + offsetAt(at, timeZone) === wall)
  return new Date(real.length > 0 ? Math.min(...real) : before)
}

/** The calendar date `days` after `date` (both YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** The weekday of a calendar date. */
export function weekdayOf(date: string): Weekday {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  // getUTCDay: 0 is Sunday; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7]!
}

/** "09:00" → 540; "24:00" → 1440. */
export const toMinutes = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))
