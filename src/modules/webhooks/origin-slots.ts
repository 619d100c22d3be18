/**
 * At most `limit` attempts in flight per origin; the rest wait their turn, first come first
 * served, for at most `waitMs`. The sender keeps that many connections per origin, so an
 * attempt's own time limit starts once a connection is its own: before, a burst to a slow
 * receiver (four fetchers of 48 attempts, 32 connections) queued inside the HTTP client with
 * the clock running, and the last of it timed out without being sent.
 */
export function createOriginSlots(limit: number) {
  const origins = new Map<string, { active: number; waiting: Array<(granted: boolean) => void> }>()

  return {
    /** A release function once a slot is this attempt's; undefined if none came free within `waitMs`. */
    take(origin: string, waitMs: number): Promise<(() => void) | undefined> {
      let entry = origins.get(origin)
      if (!entry) origins.set(origin, (entry = { active: 0, waiting: [] }))
      const state = entry
      // A finished attempt hands its slot to the next in line, or gives it back.
      const release = once(() => {
        const next = state.waiting.shift()
        if (next) return next(true)
        state.active -= 1
        if (state.active === 0) origins.delete(origin)
      })
      if (state.active < limit) {
        state.active += 1
        return Promise.resolve(release)
      }
      return new Promise((resolve) => {
        const grant = (granted: boolean) => {
          clearTimeout(timer)
          resolve(granted ? release : undefined)
        }
        const timer = setTimeout(() => {
          state.waiting.splice(state.waiting.indexOf(grant), 1)
          grant(false)
        }, waitMs)
        state.waiting.push(grant)
      })
    },
    /** Attempts in flight and waiting for an origin (tests, and nothing else). */
    load: (origin: string) => ({ active: origins.get(origin)?.active ?? 0, waiting: origins.get(origin)?.waiting.length ?? 0 }),
  }
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
