// best_fit: the eligible rep most likely to win this kind of lead gets it, learned from
// the deals each rep has won and lost in the lead's segment, with Thompson sampling so a
// rep with little history still gets leads (and a chance to show what they can do).
import type { EligibleMember } from './rotation.ts'
import type { FitEstimate } from '../../db/schema/json/trace.ts'

/** Won and lost deals per rep in one segment, and the segment as a whole (every owner). */
export interface FitStats {
  segment: string
  total: { wins: number; losses: number }
  reps: Map<string, { wins: number; losses: number }>
}

/** The lead's segment for rep fit: its industry (normalised), or "unknown". */
export const segmentOf = (industry: string | null | undefined) => industry?.trim().toLowerCase() || 'unknown'

// The prior counts as this many deals at the segment's own win rate: a rep's record
// outweighs it after a handful of deals, and a rep with none starts at the segment rate.
const PRIOR_DEALS = 4

/**
 * The eligible members ordered by a draw from each one's Beta posterior of winning in the
 * segment (Thompson sampling): better records draw higher more often, uncertain ones
 * sometimes draw highest. `random` makes decisions reproducible in tests; simulations
 * pass `expected` to rank by the posterior mean instead.
 */
export function fitOrder(
  members: EligibleMember[],
  stats: FitStats | undefined,
  { random, expected = false }: { random: () => number; expected?: boolean },
): { order: string[]; estimates: FitEstimate[] } {
  const total = stats?.total ?? { wins: 0, losses: 0 }
  const rate = (total.wins + 1) / (total.wins + total.losses + 2)
  const estimates = members.map((m) => {
    const { wins, losses } = stats?.reps.get(m.repId) ?? { wins: 0, losses: 0 }
    const alpha = PRIOR_DEALS * rate + wins
    const beta = PRIOR_DEALS * (1 - rate) + losses
    const mean = alpha / (alpha + beta)
    return { repId: m.repId, wins, losses, mean: round(mean), sample: round(expected ? mean : sampleBeta(alpha, beta, random)) }
  })
  const order = [...estimates].sort((a, b) => b.sample - a.sample || b.mean - a.mean).map((e) => e.repId)
  return { order, estimates }
}

const round = (value: number) => Math.round(value * 10_000) / 10_000

/** Beta(α, β) as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β). */
export function sampleBeta(alpha: number, beta: number, random: () => number): number {
  const x = sampleGamma(alpha, random)
  const y = sampleGamma(beta, random)
  return x / (x + y)
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 by the boost Gamma(shape + 1) · U^(1/shape). */
function sampleGamma(shape: number, random: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(random() || Number.MIN_VALUE, 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(random)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = random()
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = random() || Number.MIN_VALUE
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}
