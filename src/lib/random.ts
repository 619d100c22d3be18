/**
 * mulberry32: a small seeded generator of numbers in [0, 1). Where a result must repeat
 * for the same seed (a model's held-out split, the demo's stream of leads, tests).
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * `seconds` give or take `spread` (±20 % by default), so that retries of one failure do not
 * all come back at the same instant.
 */
export const jittered = (seconds: number, random: () => number = Math.random, spread = 0.2): number =>
  seconds * (1 - spread + 2 * spread * random())
