import { seeded } from '../../lib/random.ts'
import type { Driver, Feature, Model } from '../../db/schema/json/conversion-model.ts'

// The conversion model: naive Bayes over what an admin sees on a lead (industry, country,
// company size, source, product interest, signals). Training is counting, so 100,000 leads
// train in well under a second; a prediction is a sum of precomputed log-odds, one per
// feature, which is also its explanation. See README "Predictive scoring" for why.

/** What the model reads from a lead. */
export interface LeadFeatures {
  industry: string | null
  country: string | null
  employees: number | null
  source: string | null
  productInterest: string[]
  signals: Record<string, string | number | boolean>
}

const SIZES: Array<[number, string]> = [
  [10, '1-10'],
  [50, '11-50'],
  [200, '51-200'],
  [1000, '201-1000'],
  [5000, '1001-5000'],
]
/** Groups with exactly one value per lead (unknown is a value); the others list what is present. */
const SINGLE = ['industry', 'country', 'size', 'source'] as const

const clean = (value: string) => value.trim().toLowerCase()

export function sizeBucket(employees: number | null): string {
  if (employees === null) return 'unknown'
  return SIZES.find(([upTo]) => employees <= upTo)?.[1] ?? '5000+'
}

export function featuresOf(lead: LeadFeatures): Feature[] {
  const truthy = Object.entries(lead.signals)
    .filter(([, v]) => v !== false && v !== 0 && v !== '')
    .map(([k]) => k)
  return [
    `industry=${lead.industry ? clean(lead.industry) : 'unknown'}`,
    `country=${lead.country ? lead.country.toUpperCase() : 'unknown'}`,
    `size=${sizeBucket(lead.employees)}`,
    `source=${lead.source ? clean(lead.source) : 'unknown'}`,
    ...[...new Set(lead.productInterest.map(clean))].map((p) => `product=${p}`),
    ...truthy.map((s) => `signal=${s}`),
  ]
}

const groupOf = (feature: Feature) => feature.slice(0, feature.indexOf('='))

export interface Sample {
  features: Feature[]
  won: boolean
}

// Laplace smoothing: a value seen once does not swing a prediction to certainty.
const ALPHA = 1

/** Counts samples into a model. */
export function fit(samples: Sample[]): Model {
  const total = { won: 0, lost: 0 }
  const counts = new Map<Feature, { won: number; lost: number }>()
  const valuesPerGroup = new Map<string, Set<Feature>>()
  for (const { features, won } of samples) {
    total[won ? 'won' : 'lost']++
    for (const feature of features) {
      const c = counts.get(feature) ?? { won: 0, lost: 0 }
      c[won ? 'won' : 'lost']++
      counts.set(feature, c)
      const group = groupOf(feature)
      valuesPerGroup.set(group, (valuesPerGroup.get(group) ?? new Set()).add(feature))
    }
  }
  const weights: Record<Feature, number> = {}
  const support: Record<Feature, number> = {}
  const unseen: Record<string, number> = {}
  let bias = Math.log((total.won + ALPHA) / (total.lost + ALPHA))
  for (const [feature, c] of counts) {
    support[feature] = c.won + c.lost
    if ((SINGLE as readonly string[]).includes(groupOf(feature))) {
      // One value per lead: P(value | class) over the group's values (+1 for an unseen one).
      const k = valuesPerGroup.get(groupOf(feature))!.size + 1
      weights[feature] = Math.log((c.won + ALPHA) / (total.won + ALPHA * k) / ((c.lost + ALPHA) / (total.lost + ALPHA * k)))
      continue
    }
    // Present or not (products, signals): absence is evidence too. Every lead is assumed
    // without it (folded into the bias); a lead that has it swaps absence for presence.
    const pWon = (c.won + ALPHA) / (total.won + 2 * ALPHA)
    const pLost = (c.lost + ALPHA) / (total.lost + 2 * ALPHA)
    const absent = Math.log((1 - pWon) / (1 - pLost))
    bias += absent
    weights[feature] = Math.log(pWon / pLost) - absent
  }
  for (const group of SINGLE) {
    const k = (valuesPerGroup.get(group)?.size ?? 0) + 1
    unseen[group] = Math.log(ALPHA / (total.won + ALPHA * k) / (ALPHA / (total.lost + ALPHA * k)))
  }
  return { bias, weights, unseen, support }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** A feature's log-odds: its weight, the group's unseen-value weight, or nothing for an unseen present-or-not feature. */
const weightOf = (model: Model, feature: Feature) =>
  model.weights[feature] ?? ((SINGLE as readonly string[]).includes(groupOf(feature)) ? (model.unseen[groupOf(feature)] ?? 0) : 0)

/** The win log-odds, unrounded (for ranking). */
export function logOdds(model: Model, features: Feature[]): number {
  return features.reduce((sum, feature) => sum + weightOf(model, feature), model.bias)
}

/** The probability of a win and the features that moved it most. */
export function predict(model: Model, features: Feature[], driverCount = 3): { conversion: number; drivers: Driver[] } {
  let logit = model.bias
  const moved: Driver[] = []
  for (const feature of features) {
    const weight = weightOf(model, feature)
    logit += weight
    if (weight !== 0) moved.push({ feature, weight: round(weight), direction: weight > 0 ? 'up' : 'down' })
  }
  moved.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.feature < b.feature ? -1 : 1))
  return { conversion: round(sigmoid(logit)), drivers: moved.slice(0, driverCount) }
}

const round = (value: number) => Math.round(value * 10_000) / 10_000

/** Area under the ROC curve: the chance a random win is ranked above a random loss (ties count half). */
export function auc(scored: Array<{ score: number; won: boolean }>): number | null {
  const sorted = [...scored].sort((a, b) => a.score - b.score)
  const wins = sorted.filter((s) => s.won).length
  const losses = sorted.length - wins
  if (wins === 0 || losses === 0) return null
  let rankSum = 0
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++
    const averageRank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if (sorted[k]!.won) rankSum += averageRank
    i = j
  }
  return round((rankSum - (wins * (wins + 1)) / 2) / (wins * losses))
}

export interface Trained {
  model: Model
  samples: number
  auc: number | null
  baselineRate: number
  topFeatures: Driver[]
}

/**
 * Measures on a held-out fifth (a seeded shuffle), then fits the live model on every
 * sample. topFeatures: the features with the strongest pull, among those at least 5 leads had.
 */
export function train(samples: Sample[], { seed = 1, holdout = 0.2 }: { seed?: number; holdout?: number } = {}): Trained {
  const random = seeded(seed)
  const shuffled = samples
    .map((s) => ({ s, r: random() }))
    .sort((a, b) => a.r - b.r)
    .map(({ s }) => s)
  const cut = Math.floor(shuffled.length * holdout)
  const heldOut = shuffled.slice(0, cut)
  const measured = fit(shuffled.slice(cut))
  const score = auc(heldOut.map((s) => ({ score: logOdds(measured, s.features), won: s.won })))
  const model = fit(samples)
  const topFeatures = Object.entries(model.weights)
    .filter(([feature]) => model.support[feature]! >= 5)
    .map(([feature, weight]) => ({ feature, weight: round(weight), direction: weight > 0 ? ('up' as const) : ('down' as const) }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.feature < b.feature ? -1 : 1))
    .slice(0, 10)
  const wins = samples.filter((s) => s.won).length
  return { model, samples: samples.length, auc: score, baselineRate: samples.length ? round(wins / samples.length) : 0, topFeatures }
}
