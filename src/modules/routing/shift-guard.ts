import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import type { CandidateTrace } from '../../db/schema/json/trace.ts'
import { dueAt, shiftEnd } from '../reps/working-time.ts'
import { opensAt, type RepState } from './eligibility.ts'
import { localTime } from './local-time.ts'

/** The deadline a rule promises: this many seconds, on this clock. */
export interface DeadlinePromise {
  seconds: number
  clock: DeadlineClock
}

/** One eligible rep as the end-of-shift guard sees them. */
export interface Guarded {
  /** The trace to show for this rule (a copy when the guard changed it). */
  trace: CandidateTrace
  eligible: boolean
  /** Eligible, but a working deadline would run on into their next shift. */
  carriesOver: boolean
  /** When an ineligible rep could take a lead by the calendar again. */
  opensAt?: () => Date | null
}

const clockFace = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
const hhmm = (at: Date, zone: string) => clockFace(localTime(at, zone).minutes)
const dayAndTime = (at: Date, zone: string) => {
  const { weekday, minutes } = localTime(at, zone)
  return `${weekday[0]!.toUpperCase()}${weekday.slice(1)} ${clockFace(minutes)}`
}

/**
 * The end-of-shift guard for one eligible rep (issue 19):
 * - a `wall` deadline that falls after the rep's shift ends would expire with the rep gone
 *   home: not eligible, with the shift end and the deadline in the rep's own zone;
 * - a `working` deadline past the shift end carries over to the rep's next shift: still
 *   eligible, but marked, so a team prefers reps who can answer today.
 * Reps without working hours are always working: the guard leaves them alone.
 */
export function guardShift(rep: RepState, trace: CandidateTrace, promise: DeadlinePromise, now: Date): Guarded {
  const ends = trace.eligible ? shiftEnd(now, rep) : undefined
  if (!ends) return { trace, eligible: trace.eligible, carriesOver: false }
  const due = dueAt(now, promise.seconds, promise.clock, rep)
  if (due <= ends) return { trace, eligible: true, carriesOver: false }
  const zone = rep.timezone
  if (promise.clock === 'wall') {
    const reason = `shift ends ${hhmm(ends, zone)} ${zone}, before the deadline ${hhmm(due, zone)}`
    return { trace: { ...trace, eligible: false, reason }, eligible: false, carriesOver: false, opensAt: () => opensAt(rep, ends) }
  }
  const reason = `the deadline ${dayAndTime(due, zone)} ${zone} carries over to the next shift (this one ends ${hhmm(ends, zone)})`
  return { trace: { ...trace, reason }, eligible: true, carriesOver: true }
}

/**
 * A team's members after the guard: when some can answer within their current shift, those
 * whose deadline would carry over are passed over for this lead, and their trace says so;
 * when none can, all stay eligible and `carriedOver` says the deadline runs on into the
 * chosen rep's next shift. Changes `members` in place (each changed trace is a copy).
 */
export function preferAnsweringToday(members: Array<{ judged: { trace: CandidateTrace; carriesOver?: boolean } }>): {
  carriedOver: boolean
} {
  const eligible = members.filter((m) => m.judged.trace.eligible)
  const today = eligible.filter((m) => !m.judged.carriesOver)
  if (today.length === 0) return { carriedOver: eligible.length > 0 }
  for (const m of eligible) {
    if (!m.judged.carriesOver) continue
    const reason = `${m.judged.trace.reason}; others can answer today`
    m.judged = { ...m.judged, trace: { ...m.judged.trace, eligible: false, reason } }
  }
  return { carriedOver: false }
}
