import { reminderProblems } from '../handoffs/reminders.ts'
import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import { compileCondition, type CompiledCondition, type ConditionError } from '../conditions/condition.ts'
import { LEAD_FIELDS, type FieldCatalog } from '../conditions/fields.ts'
import { type Assign, type Ruleset } from '../../db/schema/json/ruleset.ts'
import { requirementsOf, requirementProblems, type CompiledRequirement } from './requirements.ts'

/**
 * What routing conditions may name: every lead field, plus what scoring decided
 * (so "high-intent leads go to the senior team" is one rule).
 */
export const ROUTING_FIELDS: FieldCatalog = {
  exact: { ...LEAD_FIELDS.exact, score: 'number', tier: 'string' },
  prefixes: LEAD_FIELDS.prefixes,
}

/** A rule ready to run: its condition compiled once per ruleset version. */
export interface CompiledRule {
  index: number
  name: string
  /** Absent: every lead matches. */
  when?: CompiledCondition
  assign: Assign
  /** A team target's attribute requirements; [] for none. */
  requirements: CompiledRequirement[]
  acceptWithinSeconds: number | null
  /** The rule's own clock; null: the intent tier's. */
  clock: DeadlineClock | null
  /** The rule's own reminders (seconds before the deadline); null: the intent tier's. */
  remindBeforeSeconds: number[] | null
}

export interface CompiledRuleset {
  /** null for a draft being simulated. */
  version: number | null
  rules: CompiledRule[]
  fallback: Assign | null
  fallbackRequirements: CompiledRequirement[]
  /** Every team and rep the ruleset names, to load their state in one go. */
  teamIds: string[]
  repIds: string[]
}

/**
 * Compiles every condition and checks what needs no database: unique rule names.
 * Errors point into the ruleset body (/rules/3/when/all/0/field).
 */
export function compileRuleset(
  ruleset: Ruleset,
  version: number | null,
): { ok: true; ruleset: CompiledRuleset } | { ok: false; errors: ConditionError[] } {
  const errors: ConditionError[] = []
  const seen = new Map<string, number>()
  const rules: CompiledRule[] = []
  ruleset.rules.forEach((rule, index) => {
    const key = rule.name.trim().toLowerCase()
    const earlier = seen.get(key)
    if (earlier !== undefined)
      errors.push({ pointer: `/rules/${index}/name`, detail: `repeats the name of rule ${earlier}; rule names must be unique` })
    seen.set(key, index)
    let when: CompiledCondition | undefined
    if (rule.when !== undefined) {
      const compiled = compileCondition(rule.when, ROUTING_FIELDS)
      if (compiled.ok) when = compiled.condition
      else errors.push(...compiled.errors.map((e) => ({ pointer: `/rules/${index}/when${e.pointer}`, detail: e.detail })))
    }
    errors.push(...targetProblems(rule.assign, `/rules/${index}/assign`))
    const before = rule.remindBeforeSeconds
    if (before) {
      const window = rule.acceptWithinSeconds
      errors.push(
        ...reminderProblems(before, window).map((e) => ({ pointer: `/rules/${index}/remindBeforeSeconds${e.pointer}`, detail: e.detail })),
      )
    }
    rules.push({
      index,
      name: rule.name.trim(),
      ...(when ? { when } : {}),
      assign: rule.assign,
      requirements: requirementsOf(rule.assign),
      acceptWithinSeconds: rule.acceptWithinSeconds ?? null,
      clock: rule.clock ?? null,
      remindBeforeSeconds: before ?? null,
    })
  })
  if (ruleset.fallback) errors.push(...targetProblems(ruleset.fallback, '/fallback'))
  if (errors.length > 0) return { ok: false, errors }
  const targets = [...ruleset.rules.map((r) => r.assign), ...(ruleset.fallback ? [ruleset.fallback] : [])]
  return {
    ok: true,
    ruleset: {
      version,
      rules,
      fallback: ruleset.fallback,
      fallbackRequirements: ruleset.fallback ? requirementsOf(ruleset.fallback) : [],
      teamIds: [...new Set(targets.flatMap((a) => (a.type === 'team' ? [a.teamId] : [])))],
      repIds: [...new Set(targets.flatMap((a) => (a.type === 'rep' ? [a.repId] : [])))],
    },
  }
}

/** A team target's requirements must name lead fields that hold text. */
function targetProblems(assign: Assign, pointer: string): ConditionError[] {
  if (assign.type !== 'team' || !assign.require) return []
  return requirementProblems(assign.require, ROUTING_FIELDS).map((e) => ({ pointer: `${pointer}/require${e.pointer}`, detail: e.detail }))
}

/** The JSON pointer of every team and rep a ruleset names, for "no such team" errors. */
export function namedTargets(ruleset: Ruleset): Array<{ pointer: string; assign: Assign }> {
  return [
    ...ruleset.rules.map((rule, i) => ({ pointer: `/rules/${i}/assign`, assign: rule.assign })),
    ...(ruleset.fallback ? [{ pointer: '/fallback', assign: ruleset.fallback }] : []),
  ]
}
