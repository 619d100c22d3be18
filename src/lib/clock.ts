/** Where "now" comes from. Services take one so tests can move time instead of sleeping. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stands still until told to move: for tests of deadlines and windows. */
export function manualClock(start: Date | string = '2026-01-05T09:00:00Z') {
  let current = new Date(start).getTime()
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms
    },
  }
}
