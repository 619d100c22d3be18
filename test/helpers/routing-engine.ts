// Fixtures for the pure routing engine's tests: reps and working hours as the engine sees them.
import type { WorkingHours } from '../../src/db/schema/reps.ts'
import type { RepState } from '../../src/modules/routing/eligibility.ts'
import type { EligibleMember } from '../../src/modules/routing/rotation.ts'

/** An id as a display name: 'ann' is Ann. */
export const capitalised = (id: string) => id.charAt(0).toUpperCase() + id.slice(1)
/** The same hours Monday to Friday, none at the weekend. */
export const weekdays = (start: string, end: string): WorkingHours =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start, end }]]))

/** A rep in Berlin, available, always working, with no limits and nothing pending, unless `overrides` says so. */
export function rep(id: string, overrides: Partial<RepState> = {}): RepState {
  return {
    id,
    name: capitalised(id),
    timezone: 'Europe/Berlin',
    workingHours: null,
    holidays: [],
    status: 'available',
    maxPending: null,
    maxPerDay: null,
    pending: 0,
    unworked: 0,
    day: null,
    dayCount: 0,
    deleted: false,
    ...overrides,
  }
}

/** Eligible team members from [repId, weight, load?] triples (load 0 unless given). */
export const members = (...spec: Array<[string, number, number?]>): EligibleMember[] =>
  spec.map(([repId, weight, load = 0]) => ({ repId, weight, load }))
