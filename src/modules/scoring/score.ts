import { reminderProblems } from '../handoffs/reminders.ts'
import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import { DEFAULT_CLOCKS } from '../../db/schema/json/scoring-model.ts'
import { compileCondition, type CompiledCondition, type ConditionError } from '../conditions/condition.ts'
import type { ScoringModel } from '../../db/schema/json/scoring-model.ts'

export type Tier = ScoringModel['tiers'][number]['tier']
export type Outcome = 'qualified' | 'disqualified' | 'nurture'

/** Why a decision came out as it did: one entry per rule that fired, plus the verdict. */
export interface Reason {
  kind: 'disqualify' | 'points' | 'fast_lane' | 'threshold' | 'tier'
  rule: string
  points?: number
  detail: string
}

/** What scoring decided for one lead. */
export interface Decision {
  score: number
  qualified: boolean
  outcome: Outcome
  /** Intent tier of a qualified lead; null otherwise. */
  tier: Tier | null
  /** Seconds a rep gets to accept, from the tier; null when not qualified. */
  acceptWithinSeconds: number | null
  /** How that deadline counts, from the tier; null when not qualified. */
  clock: DeadlineClock | null
  /** The tier's reminders (seconds before the deadline), when the model names them. */
  reminders?: number[]
  reasons: Reason[]
}

interface Named {
  name: string
  when: CompiledCondition
}

/** A model whose conditions are compiled: build once per version, score any number of leads. */
export interface CompiledModel {
  rules: Array<Named & { points: number }>
  disqualify: Array<{ reason: string; when: CompiledCondition }>
  fastLane: Named[]
  tiers: Array<{ tier: Tier; when: CompiledCondition }>
  qualifyAt: number
  deadlines: ScoringModel['deadlines']
  clocks: Record<Tier, DeadlineClock>
  reminders: ScoringModel['reminders']
}

/** Compiles every condition of the model; errors point into the model body (e.g. /rules/2/when/field). */
export function compileModel(model: ScoringModel): { ok: true; model: CompiledModel } | { ok: false; errors: ConditionError[] } {
  const errors: ConditionError[] = []
  const compile = (when: unknown, pointer: string): CompiledCondition => {
    const result = compileCondition(when)
    if (result.ok) return result.condition
    errors.push(...result.errors.map((e) => ({ pointer: `${pointer}${e.pointer}`, detail: e.detail })))
    return { test: () => false, explain: () => ({ matched: false, leaves: [] }) }
  }
  const compiled: CompiledModel = {
    rules: model.rules.map((r, i) => ({ name: r.name ?? `rules[${i}]`, points: r.points, when: compile(r.when, `/rules/${i}/when`) })),
    disqualify: model.disqualify.map((d, i) => ({ reason: d.reason, when: compile(d.when, `/disqualify/${i}/when`) })),
    fastLane: model.fastLane.map((f, i) => ({ name: f.name ?? `fastLane[${i}]`, when: compile(f.when, `/fastLane/${i}/when`) })),
    tiers: model.tiers.map((t, i) => ({ tier: t.tier, when: compile(t.when, `/tiers/${i}/when`) })),
    qualifyAt: model.qualifyAt,
    deadlines: model.deadlines,
    clocks: { ...DEFAULT_CLOCKS, ...model.clocks },
    reminders: model.reminders,
  }
  for (const tier of ['high', 'demo', 'standard'] as const) {
    const before = model.reminders?.[tier]
    if (!before) continue
    errors.push(
      ...reminderProblems(before, model.deadlines[tier]).map((e) => ({ pointer: `/reminders/${tier}${e.pointer}`, detail: e.detail })),
    )
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, model: compiled }
}

/**
 * Scores a lead: points from every matching rule; then a disqualify match wins over
 * everything, a fast-lane match qualifies whatever the score, and otherwise the score
 * must reach `qualifyAt` (below it the lead is nurtured). Pure: no I/O, no clock.
 */
export function score(model: CompiledModel, lead: unknown): Decision {
  const reasons: Reason[] = []
  let total = 0
  for (const rule of model.rules) {
    if (!rule.when.test(lead)) continue
    total += rule.points
    reasons.push({ kind: 'points', rule: rule.name, points: rule.points, detail: `${rule.points >= 0 ? '+' : ''}${rule.points} points` })
  }

  const disqualified = model.disqualify.filter((d) => d.when.test(lead))
  if (disqualified.length > 0) {
    for (const d of disqualified) reasons.push({ kind: 'disqualify', rule: d.reason, detail: `disqualified: ${d.reason}` })
    return { score: total, qualified: false, outcome: 'disqualified', tier: null, acceptWithinSeconds: null, clock: null, reasons }
  }

  const fastLane = model.fastLane.find((f) => f.when.test(lead))
  if (fastLane) {
    reasons.push({ kind: 'fast_lane', rule: fastLane.name, detail: 'qualified at once by a fast-lane rule' })
  } else if (total >= model.qualifyAt) {
    reasons.push({ kind: 'threshold', rule: 'qualifyAt', detail: `score ${total} reached the threshold ${model.qualifyAt}` })
  } else {
    reasons.push({ kind: 'threshold', rule: 'qualifyAt', detail: `score ${total} is below the threshold ${model.qualifyAt}: nurture` })
    return { score: total, qualified: false, outcome: 'nurture', tier: null, acceptWithinSeconds: null, clock: null, reasons }
  }

  const tierRule = model.tiers.findIndex((t) => t.when.test(lead))
  const tier: Tier = tierRule === -1 ? 'standard' : model.tiers[tierRule]!.tier
  reasons.push({ kind: 'tier', rule: tierRule === -1 ? 'default' : `tiers[${tierRule}]`, detail: `intent tier ${tier}` })
  return {
    score: total,
    qualified: true,
    outcome: 'qualified',
    tier,
    acceptWithinSeconds: model.deadlines[tier],
    clock: model.clocks[tier],
    ...(model.reminders?.[tier] ? { reminders: model.reminders[tier] } : {}),
    reasons,
  }
}
