// Working hours for the demo's reps, chosen around the moment the demo runs: a rep
// "on shift" is three to four hours into a nine-hour shift, one "later" starts in two to
// three hours. Real hours (09:00–17:00, weekdays) would leave the demo idle at night
// and at weekends; these still show Baton reading each rep's own zone and hours.
const SHIFT_MINUTES = 9 * 60
const DAY_MINUTES = 24 * 60
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

type Window = { start: string; end: string }

/** A rep's shift: the `workingHours` body and a label such as `06:00–15:00`. */
export interface Shift {
  workingHours: Record<(typeof DAYS)[number], Window[]>
  label: string
  /** Whether the shift covers the demo's moment. */
  onNow: boolean
}

/** Minutes since local midnight in `zone` at `at`. */
export function localMinutes(zone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return part('hour') * 60 + part('minute')
}

/** The local date in `zone` as YYYY-MM-DD (what rep holidays are written in). */
export function localDate(zone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** `HH:MM` local time in `zone`. */
export function localClock(zone: string, at: Date): string {
  return hhmm(localMinutes(zone, at))
}

/** A nine-hour shift every day, either covering `at` or starting a little after it. */
export function shiftAround(zone: string, at: Date, when: 'now' | 'later'): Shift {
  const now = localMinutes(zone, at)
  const start = when === 'now' ? mod(Math.floor((now - 180) / 60) * 60, DAY_MINUTES) : mod(Math.ceil((now + 120) / 60) * 60, DAY_MINUTES)
  const end = start + SHIFT_MINUTES
  // A shift past midnight is two windows a day: its tail after midnight, and its start.
  const windows: Window[] =
    end <= DAY_MINUTES
      ? [{ start: hhmm(start), end: hhmm(end) }]
      : [
          { start: '00:00', end: hhmm(end - DAY_MINUTES) },
          { start: hhmm(start), end: '24:00' },
        ]
  const workingHours = Object.fromEntries(DAYS.map((day) => [day, windows])) as Shift['workingHours']
  return { workingHours, label: `${hhmm(start)}–${hhmm(end % DAY_MINUTES)}`, onNow: when === 'now' }
}

const mod = (n: number, m: number) => ((n % m) + m) % m
const hhmm = (minutes: number) =>
  minutes === DAY_MINUTES ? '24:00' : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
