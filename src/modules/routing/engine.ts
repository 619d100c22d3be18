import type { LeafTrace } from '../../db/schema/json/condition.ts'
import type { Assign } from '../../db/schema/json/ruleset.ts'
import type { CandidateTrace, Trace, TraceStep } from '../../db/schema/json/trace.ts'
import type { TeamStrategy } from '../../db/schema/teams.ts'
import { eligibility, opensAt, takenToday, type Eligibility, type RepState } from './eligibility.ts'
import { localTime, type LocalTime } from './local-time.ts'
import { fitOrder, type FitStats } from './fit.ts'
import { turnOrder, type EligibleMember } from './rotation.ts'
import type { CompiledRule, CompiledRuleset } from './compile-ruleset.ts'
import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import { guardShift, preferAnsweringToday, type DeadlinePromise } from './shift-guard.ts'
import { requirementCheck, type CompiledRequirement } from './requirements.ts'
import { tryOwner, type MatchedAccount } from './account-owner.ts'

/** A team as routing sees it: members in their stable order (who joined first). */
export interface TeamState {
  id: string
  name: string
  strategy: TeamStrategy
  members: Array<{ repId: string; weight: number }>
  /** The turn the team's next rotated lead takes; null when not known (drawn at assignment). */
  turn: number | null
}

/** Everything the engine may consult besides the lead: no I/O happens inside it. */
export interface Candidates {
  reps: Map<string, RepState>
  teams: Map<string, TeamState>
  /** The account the lead's domain (or the nearest registered parent of it) belongs to, if any. */
  account: MatchedAccount | null
  /** Accounts named like the lead's company (at most two: more than one is ambiguous), for matchCompanyName. */
  accountsByName?: Array<{ id: string; name: string; ownerId: string | null }>
  /** When the lead began to wait for a rep (it arrived): an owner's ifUnavailable wait counts from it. Default: now. */
  waitingSince?: Date
  /** Reps who already had this lead (a declined or expired handoff): never offered it again. */
  excluded?: Set<string>
  /** Won and lost deals in the lead's segment, when a best_fit team may place it. */
  fit?: FitStats
  /** best_fit's draws (default Math.random); `expected` ranks by the posterior mean instead (simulations). */
  random?: () => number
  expected?: boolean
}

export type RouteResult =
  | {
      outcome: 'assigned'
      rule:
        | CompiledRule
        | {
            index: -1
            name: 'fallback'
            assign: Assign
            requirements: CompiledRequirement[]
            acceptWithinSeconds: null
            clock: null
            remindBeforeSeconds: null
          }
      teamId: string | null
      /** The strategy needing a turn number, when the pick rotates through a team. */
      rotation: { teamId: string; strategy: TeamStrategy; eligible: EligibleMember[] } | null
      /** Eligible reps in the order to offer the lead: the first is the pick. */
      order: string[]
      reason: string
      trace: Trace
    }
  | { outcome: 'unroutable'; reason: string; retryAt: Date | null; trace: Trace }

/** explain: keep every rule tried with its condition leaves (simulate); otherwise a compact trace (stored). */
export interface RouteOptions {
  explain?: boolean
  /** What each rule promises the rep (seconds on a clock): the end-of-shift guard judges reps by it. None: no guard. */
  deadlineOf?: (rule: { acceptWithinSeconds: number | null; clock: DeadlineClock | null }) => DeadlinePromise
}

/**
 * route(ruleset, lead, candidates, now): the first matching rule whose target has an
 * eligible rep wins; a rule with nobody eligible falls through to the next, then to
 * the fallback. A matching account_owner rule for an owned account ends the search:
 * such a lead waits for its owner rather than going to a rotation. Pure: no I/O, no
 * clock, no randomness.
 */
export function route(ruleset: CompiledRuleset, lead: unknown, candidates: Candidates, now: Date, options: RouteOptions = {}): RouteResult {
  const trace: Trace = { version: ruleset.version, at: now.toISOString(), steps: [], skipped: 0 }
  const judged = judge(candidates, now, options.explain === true)
  const waits: Array<() => Date | null> = []

  const fallback = ruleset.fallback
    ? [
        {
          index: -1,
          name: 'fallback',
          assign: ruleset.fallback,
          requirements: ruleset.fallbackRequirements,
          acceptWithinSeconds: null,
          clock: null,
          remindBeforeSeconds: null,
        } as const,
      ]
    : []
  for (const rule of [...ruleset.rules, ...fallback]) {
    let matched = true
    let conditions: LeafTrace[] | undefined
    if ('when' in rule && rule.when) {
      if (options.explain) ({ matched, leaves: conditions } = rule.when.explain(lead))
      else matched = rule.when.test(lead)
    }
    if (!matched) {
      if (options.explain)
        trace.steps.push({
          index: rule.index,
          rule: rule.name,
          matched,
          result: 'not_matched',
          detail: 'conditions did not match',
          ...(conditions ? { conditions } : {}),
        })
      else trace.skipped++
      continue
    }
    const step: TraceStep = {
      index: rule.index,
      rule: rule.name,
      matched,
      result: 'nobody_eligible',
      detail: '',
      ...(conditions ? { conditions } : {}),
      assign: rule.assign,
    }
    trace.steps.push(step)
    const judgedForRule = guarded(requiring(judged, rule.requirements, lead, candidates), candidates, options.deadlineOf?.(rule), now)
    const tried = tryTarget(rule.assign, candidates, judgedForRule, step, now)
    if (tried.kind === 'assigned') {
      step.result = 'assigned'
      return {
        outcome: 'assigned',
        rule,
        teamId: tried.teamId,
        rotation: tried.rotation,
        order: tried.order,
        reason: `${label(rule)}: ${step.detail}`,
        trace,
      }
    }
    waits.push(...tried.waits)
    // Waiting for an owner still counts the earlier rules' reps: whoever opens first places the lead.
    if (tried.kind === 'stop') return { outcome: 'unroutable', reason: `${label(rule)}: ${step.detail}`, retryAt: earliest(waits), trace }
  }
  // Only rules that matched explain an unroutable lead (explained traces also list the others).
  const tried = trace.steps.filter((s) => s.matched).map((s) => `${label({ index: s.index, name: s.rule })}: ${s.detail}`)
  const reason = tried.length === 0 ? `no rule matched and the ruleset has no fallback` : `nobody eligible (${tried.join('; ')})`
  return { outcome: 'unroutable', reason, retryAt: earliest(waits), trace }
}

const label = (rule: { index: number; name: string }) => (rule.index === -1 ? 'fallback' : `rule "${rule.name}"`)

export type Tried =
  | { kind: 'assigned'; teamId: string | null; rotation: Extract<RouteResult, { outcome: 'assigned' }>['rotation']; order: string[] }
  | { kind: 'next' | 'stop'; waits: Array<() => Date | null> }

function tryTarget(assign: Assign, candidates: Candidates, judged: Judge, step: TraceStep, now: Date): Tried {
  if (assign.type === 'account_owner') return tryOwner(assign, candidates, judged, step, now)
  if (assign.type === 'rep') {
    const rep = judged(assign.repId)
    step.candidates = rep ? [rep.trace] : []
    if (!rep) {
      step.result = 'unknown_target'
      step.detail = 'the rep no longer exists'
      return { kind: 'next', waits: [] }
    }
    step.detail = rep.trace.eligible ? `assigned to ${rep.trace.name}` : `${rep.trace.name} (${rep.trace.reason})`
    return rep.trace.eligible
      ? { kind: 'assigned', teamId: null, rotation: null, order: [rep.trace.repId] }
      : { kind: 'next', waits: [rep.opensAt] }
  }
  const team = candidates.teams.get(assign.teamId)
  if (!team) {
    step.result = 'unknown_target'
    step.detail = 'the team no longer exists'
    return { kind: 'next', waits: [] }
  }
  step.team = { id: team.id, name: team.name, strategy: team.strategy }
  const members = team.members.flatMap((m) => {
    const judgedRep = judged(m.repId)
    return judgedRep ? [{ ...m, judged: judgedRep }] : []
  })
  const { carriedOver } = preferAnsweringToday(members)
  step.candidates = members.map((m) => m.judged.trace)
  const eligible = members.filter((m) => m.judged.trace.eligible).map((m) => ({ repId: m.repId, weight: m.weight, load: m.judged.load }))
  if (eligible.length === 0) {
    step.detail =
      members.length === 0
        ? `team "${team.name}" has no members`
        : `nobody in team "${team.name}" is eligible (${summarise(members.map((m) => m.judged.trace))})`
    return { kind: 'next', waits: members.map((m) => m.judged.opensAt) }
  }
  let order: string[]
  if (team.strategy === 'best_fit') {
    const fitted = fitOrder(eligible, candidates.fit, { random: candidates.random ?? Math.random, expected: candidates.expected ?? false })
    order = fitted.order
    step.fit = { segment: candidates.fit?.segment ?? 'unknown', estimates: fitted.estimates }
  } else {
    order = turnOrder(team.strategy, eligible, team.turn ?? 1)
    step.turn = { number: team.turn, order }
  }
  step.detail = `team "${team.name}" (${team.strategy.replace('_', ' ')}): ${eligible.length} of ${members.length} eligible`
  if (carriedOver) step.detail += "; nobody can answer before their shift ends, so the deadline carries over to the rep's next shift"
  // best_fit takes no turn: its order is the draw, not a rotation.
  const rotation = team.strategy === 'best_fit' ? null : { teamId: team.id, strategy: team.strategy, eligible }
  return { kind: 'assigned', teamId: team.id, rotation, order }
}

/** "3 away, 2 outside working hours" — reasons grouped by their first words. */
function summarise(traces: CandidateTrace[]): string {
  const counts = new Map<string, number>()
  for (const t of traces) {
    const kind = (t.reason ?? 'eligible').replace(/ \d.*$| \(.*$/, '')
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')
}

const earliest = (waits: Array<() => Date | null>): Date | null =>
  waits.reduce<Date | null>((best, wait) => {
    const at = wait()
    return at && (!best || at < best) ? at : best
  }, null)

export type Judged = { trace: CandidateTrace; load: number; opensAt: () => Date | null; carriesOver?: boolean }
export type Judge = (repId: string) => Judged | undefined

/**
 * The judge for a team target with attribute requirements: a rep who lacks one is not
 * eligible for this lead whatever their standing, and no calendar changes that.
 */
function requiring(judged: Judge, requirements: CompiledRequirement[], lead: unknown, candidates: Candidates): Judge {
  if (requirements.length === 0) return judged
  const check = requirementCheck(requirements, lead)
  return (repId) => {
    const standing = judged(repId)
    const rep = candidates.reps.get(repId)
    if (!standing || !rep || rep.deleted) return standing
    const missing = check(rep.attributes ?? {})
    if (missing === null) return standing
    return { ...standing, trace: { ...standing.trace, eligible: false, reason: missing, opensAt: null }, opensAt: () => null }
  }
}

/**
 * The judge for one rule: each rep's standing, then the end-of-shift guard for the rule's
 * promise (shift-guard.ts). Judged traces are shared by every rule, so a changed one is a copy.
 */
function guarded(judged: Judge, candidates: Candidates, promise: DeadlinePromise | undefined, now: Date): Judge {
  if (!promise) return judged
  return (repId) => {
    const standing = judged(repId)
    const rep = candidates.reps.get(repId)
    if (!standing || !rep) return standing
    const verdict = guardShift(rep, standing.trace, promise, now)
    if (verdict.trace === standing.trace) return standing
    return { ...standing, trace: verdict.trace, carriesOver: verdict.carriesOver, opensAt: verdict.opensAt ?? standing.opensAt }
  }
}

/**
 * Each rep judged once per decision, however many rules name them; each zone's local
 * time read once. When a rep next opens is worked out only if the decision needs it
 * (nobody eligible: the retry time) or the trace is explained in full.
 */
function judge(candidates: Candidates, now: Date, explain: boolean): Judge {
  const memo = new Map<string, Judged | undefined>()
  const zones = new Map<string, LocalTime>()
  return (repId) => {
    if (memo.has(repId)) return memo.get(repId)
    const rep = candidates.reps.get(repId)
    let result: Judged | undefined
    if (rep) {
      let local = zones.get(rep.timezone)
      if (!local) zones.set(rep.timezone, (local = localTime(now, rep.timezone)))
      const zoned = local
      const verdict: Eligibility = candidates.excluded?.has(repId)
        ? { eligible: false, reason: 'already had this lead', opensAt: null }
        : eligibility(rep, now, zoned, false)
      const load = {
        pending: rep.pending,
        unworked: rep.unworked,
        maxPending: rep.maxPending,
        today: takenToday(rep, zoned.date),
        maxPerDay: rep.maxPerDay,
      }
      const trace: CandidateTrace = {
        repId,
        name: rep.name,
        eligible: verdict.eligible,
        load,
        ...(verdict.reason ? { reason: verdict.reason } : {}),
      }
      let opening: Date | null | undefined = verdict.opensAt
      const opens = () => (opening === undefined ? (opening = opensAt(rep, now, zoned)) : opening)
      if (explain && !verdict.eligible) trace.opensAt = opens()?.toISOString() ?? null
      result = { trace, load: rep.pending + rep.unworked, opensAt: opens }
    }
    memo.set(repId, result)
    return result
  }
}
