import type { RepRow } from '../../db/schema/index.ts'
import { invalidFields } from '../../lib/errors.ts'
import type { NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import type { UpdateRepBody } from './reps.schemas.ts'

/** How far ahead awayUntil may be: a year of leave, and then some. */
const AWAY_AT_MOST_MS = 366 * 24 * 3600 * 1000

export type AvailabilityActor = { type: 'rep' | 'admin' | 'auto_away' | 'away_until'; id: string | null }

/**
 * The status and awayUntil a patch leaves the rep with. awayUntil implies away; available
 * clears it; a time in the past, more than a year ahead, or beside `available` is a 422.
 */
export function availabilityAfter(before: RepRow, changes: UpdateRepBody, now: Date): Pick<RepRow, 'status' | 'awayUntil'> {
  const errors: Array<{ pointer: string; detail: string }> = []
  let status = changes.status ?? before.status
  let awayUntil = status === 'available' ? null : before.awayUntil
  if (changes.awayUntil === null) awayUntil = null
  else if (changes.awayUntil !== undefined) {
    const until = new Date(changes.awayUntil)
    if (changes.status === 'available') errors.push({ pointer: '/awayUntil', detail: 'cannot be set with status available' })
    else if (until <= now) errors.push({ pointer: '/awayUntil', detail: `must be in the future (now is ${now.toISOString()})` })
    else if (until.getTime() - now.getTime() > AWAY_AT_MOST_MS)
      errors.push({ pointer: '/awayUntil', detail: 'may be at most 366 days ahead' })
    ;[status, awayUntil] = ['away', until]
  }
  if (changes.handBack && status !== 'away')
    errors.push({ pointer: '/handBack', detail: 'hands pending offers back only with status away' })
  if (errors.length > 0) throw invalidFields('The rep is invalid.', errors)
  return { status, awayUntil }
}

/** rep.away when the rep became away or their return time changed; rep.available when they are back. */
export function availabilityEvents(before: RepRow, after: RepRow, actor: AvailabilityActor, now: Date): NewEvent[] {
  const rep = { id: after.id, name: after.name, email: after.email }
  if (after.status === 'available') {
    return before.status === 'available' ? [] : [newEvent('rep.available', { rep: { ...rep, status: 'available' }, actor }, now)]
  }
  const unchanged = before.status === 'away' && before.awayUntil?.getTime() === after.awayUntil?.getTime()
  if (unchanged) return []
  return [newEvent('rep.away', { rep: { ...rep, status: 'away' }, actor, awayUntil: after.awayUntil?.toISOString() ?? null }, now)]
}
