import { WEEKDAYS, type WorkingHours } from '../../db/schema/reps.ts'

/** A problem found in a rep's schedule, pointing into the request body. */
export interface ScheduleError {
  pointer: string
  detail: string
}

/**
 * An IANA zone name such as "America/New_York" or "UTC". Offsets ("+02:00") and
 * abbreviations ("CET" aside from the few IANA keeps) are refused: working hours
 * must follow daylight-saving changes, which only a named zone does.
 */
export function isIanaTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The zone's canonical spelling ("europe/berlin" → "Europe/Berlin"). */
export const canonicalTimeZone = (zone: string): string => new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone

const minutes = (time: string): number => {
  const [h, m] = time.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

/** Each window must end after it starts, and a day's windows must not overlap. */
export function checkWorkingHours(hours: WorkingHours, base = '/workingHours'): ScheduleError[] {
  const errors: ScheduleError[] = []
  for (const day of WEEKDAYS) {
    const windows = hours[day] ?? []
    windows.forEach((w, i) => {
      if (minutes(w.end) <= minutes(w.start)) {
        errors.push({
          pointer: `${base}/${day}/${i}`,
          detail: `ends (${w.end}) at or before it starts (${w.start}); split overnight shifts across two days`,
        })
      }
    })
    // Against the latest end so far, not just the previous window: 09–17 swallows both 10–11 and 12–13.
    const sorted = windows.map((w, i) => ({ ...w, i })).sort((a, b) => minutes(a.start) - minutes(b.start))
    let latest: (typeof sorted)[number] | undefined
    for (const current of sorted) {
      if (latest && minutes(current.start) < minutes(latest.end)) {
        errors.push({ pointer: `${base}/${day}/${current.i}`, detail: `overlaps ${latest.start}–${latest.end} on the same day` })
      }
      if (!latest || minutes(current.end) > minutes(latest.end)) latest = current
    }
  }
  return errors
}

/** "2026-02-30" passes the date format's shape check in some validators; this does not. */
export function isRealDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date)
}
