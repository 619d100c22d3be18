import type { HandoffReminder } from '../../db/schema/handoffs.ts'
import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import { dueAt, type Schedule } from '../reps/working-time.ts'

/** Windows this long or longer get a reminder at half the window unless a rule or the model says otherwise. */
export const REMIND_BY_DEFAULT_FROM_SECONDS = 600

/** Why a list of reminder times cannot be used with a window of `windowSeconds`; pointers relative to the list. */
export function reminderProblems(before: number[], windowSeconds: number | undefined): Array<{ pointer: string; detail: string }> {
  const problems: Array<{ pointer: string; detail: string }> = []
  before.forEach((seconds, i) => {
    if (before.indexOf(seconds) !== i) problems.push({ pointer: `/${i}`, detail: `repeats ${seconds}: each reminder time once` })
    else if (windowSeconds !== undefined && seconds >= windowSeconds) {
      problems.push({ pointer: `/${i}`, detail: `must be shorter than the window it reminds of (${windowSeconds} s)` })
    }
  })
  return problems
}

/** Seconds before the deadline to remind at: the rule's own, else the tier's, else half the window (10 minutes or more). */
export function remindersFor(windowSeconds: number, rule: number[] | null, tier: number[] | undefined): number[] {
  const chosen = rule ?? tier ?? (windowSeconds >= REMIND_BY_DEFAULT_FROM_SECONDS ? [Math.floor(windowSeconds / 2)] : [])
  return [...new Set(chosen.filter((seconds) => seconds > 0 && seconds < windowSeconds))].sort((a, b) => b - a)
}

/**
 * When each reminder falls due: `beforeSeconds` before the deadline on the handoff's own clock,
 * so a working deadline's reminder falls in the rep's working time too.
 */
export function planReminders(
  start: Date,
  windowSeconds: number,
  clock: DeadlineClock,
  schedule: Schedule,
  before: number[],
): HandoffReminder[] {
  return before.map((beforeSeconds) => ({
    beforeSeconds,
    at: dueAt(start, windowSeconds - beforeSeconds, clock, schedule).toISOString(),
    sentAt: null,
  }))
}
