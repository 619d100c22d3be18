import type { Tx } from '../../db/client.ts'
import type { HandoffReminder } from '../../db/schema/handoffs.ts'
import type { HandoffState, LeadRow, StoredDecision } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { sendInTx } from '../../lib/jobs.ts'
import { newId } from '../../lib/ids.ts'
import type { NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { insertHandoff } from '../handoffs/handoffs.repo.ts'
import { toHandoff } from '../handoffs/handoff.ts'
import { route, type Candidates } from './engine.ts'
import { localTime } from './local-time.ts'
import { turnOrder } from './rotation.ts'
import { segmentOf } from './fit.ts'
import * as repo from './routing.repo.ts'
import type { RoutingDecision } from './decision.schemas.ts'
import type { CompiledRule, CompiledRuleset } from './compile-ruleset.ts'
import type { RulesetCache } from './ruleset-cache.ts'
import type { Trace } from '../../db/schema/json/trace.ts'
import type { DeadlineClock } from '../../db/schema/json/deadline-clock.ts'
import { DEFAULT_CLOCKS } from '../../db/schema/json/scoring-model.ts'
import { dueAt } from '../reps/working-time.ts'
import { planReminders, remindersFor } from '../handoffs/reminders.ts'
import type { DeadlinePromise } from './shift-guard.ts'

/** What routing reads of a lead: the fields conditions see, plus what scoring decided. */
export interface RoutableLead {
  fields: object & { domain: string | null; industry?: string | null; company?: string | null; createdAt?: Date }
  decision: StoredDecision
}

/** A routing decision taken inside a transaction, its rep's capacity already claimed. */
export type Plan =
  | {
      kind: 'assigned'
      version: number | null
      rep: repo.RepRef
      rule: { index: number; name: string; assign: HandoffState['assign'] }
      teamId: string | null
      acceptWithinSeconds: number
      /** How acceptWithinSeconds counts, and the instant it runs out for this rep. */
      clock: DeadlineClock
      deadlineAt: Date
      /** Reminders before the deadline, each with the instant it falls due. */
      reminders: HandoffReminder[]
      trace: Trace
      reason: string
    }
  | { kind: 'unroutable'; version: number | null; reason: string; retryAt: Date | null; trace: Trace }

// A tier always sets a deadline for a qualified lead; this is only the last resort.
const DEFAULT_ACCEPT_SECONDS = 3600
// Claims lost to concurrent leads before giving up for now (the lead then waits as unrouted).
const MAX_CLAIM_ROUNDS = 3
const RACE_RETRY_MS = 5_000

/** Seconds the rep gets to accept: the rule's own deadline, else the intent tier's. */
export const acceptWithin = (rule: { acceptWithinSeconds: number | null }, decision: StoredDecision): number =>
  rule.acceptWithinSeconds ?? decision.acceptWithinSeconds ?? DEFAULT_ACCEPT_SECONDS

/** How the deadline counts: the rule's own clock, else the intent tier's (a decision from before clocks: the tier's default). */
export const clockOf = (rule: { clock: DeadlineClock | null }, decision: StoredDecision): DeadlineClock =>
  rule.clock ?? decision.clock ?? DEFAULT_CLOCKS[decision.tier ?? 'standard']

/** What a rule promises the rep for this lead: the end-of-shift guard judges reps by it. */
export const promiseOf =
  (decision: StoredDecision) =>
  (rule: { acceptWithinSeconds: number | null; clock: DeadlineClock | null }): DeadlinePromise => ({
    seconds: acceptWithin(rule, decision),
    clock: clockOf(rule, decision),
  })

/** The record routing conditions read: the lead's fields plus its score and tier. */
export const routingRecord = (lead: RoutableLead) => ({
  ...lead.fields,
  score: lead.decision.score,
  tier: lead.decision.tier,
  ...(lead.decision.predicted ? { predicted: { conversion: lead.decision.predicted.conversion } } : {}),
})

/** Every team and rep a lead could reach under this ruleset: the matching rules' targets and the fallback. */
export function reachableTargets(ruleset: CompiledRuleset, record: unknown) {
  const matching = ruleset.rules.filter((rule) => !rule.when || rule.when.test(record)).map((r) => r.assign)
  const targets = [...matching, ...(ruleset.fallback ? [ruleset.fallback] : [])]
  return {
    teamIds: [...new Set(targets.flatMap((a) => (a.type === 'team' ? [a.teamId] : [])))],
    repIds: [...new Set(targets.flatMap((a) => (a.type === 'rep' ? [a.repId] : [])))],
    needsAccount: targets.some((a) => a.type === 'account_owner'),
    byCompanyName: targets.some((a) => a.type === 'account_owner' && a.matchCompanyName === true),
  }
}

/** Loads what the engine needs to decide for this lead under this ruleset. */
export async function candidatesFor(db: Tx | ServiceDeps['db'], ruleset: CompiledRuleset, lead: RoutableLead) {
  const { teamIds, repIds, needsAccount, byCompanyName } = reachableTargets(ruleset, routingRecord(lead))
  const candidates = await repo.loadCandidates(db, {
    teamIds,
    repIds,
    domain: needsAccount ? lead.fields.domain : null,
    company: byCompanyName ? (lead.fields.company ?? null) : null,
  })
  // A lead already saved has waited since it arrived; a new one starts waiting now (the engine's default).
  if (lead.fields.createdAt) candidates.waitingSince = lead.fields.createdAt
  // Only a best_fit team needs the deals won and lost in the lead's segment: one more query then.
  const fits = [...candidates.teams.values()].some((team) => team.strategy === 'best_fit')
  return fits ? { ...candidates, fit: await repo.loadFitStats(db, segmentOf(lead.fields.industry)) } : candidates
}

/**
 * Routing inside the lead's own transaction: decide with the engine, take the team's
 * turn, claim the rep's capacity. A claim lost to a concurrent lead (the rep filled up
 * meanwhile) re-reads the reps and decides again.
 */
export function createAssigner({ boss, rulesets, acceptLinks }: Pick<ServiceDeps, 'boss' | 'acceptLinks'> & { rulesets: RulesetCache }) {
  /**
   * `excluded`: reps who already had the lead. `prefer`: a rule to try before the live
   * ones (a re-route tries the target that placed the lead before). `liveVersion`: the
   * live ruleset's version, which every caller reads in a statement it runs anyway
   * (beginSubmission, priorHandoffs, expireIfDue).
   */
  async function plan(
    tx: Tx,
    lead: RoutableLead,
    now: Date,
    { excluded, prefer, liveVersion }: { excluded?: Set<string>; prefer?: CompiledRule; liveVersion: number | null },
  ): Promise<Plan> {
    const live = await rulesets.at(tx, liveVersion)
    const ruleset = prefer ? { ...live, rules: [prefer, ...live.rules] } : live
    const record = routingRecord(lead)
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const candidates: Candidates & { refs: Map<string, repo.RepRef> } = await candidatesFor(tx, ruleset, lead)
      if (excluded) candidates.excluded = excluded
      const result = route(ruleset, record, candidates, now, { deadlineOf: promiseOf(lead.decision) })
      if (result.outcome === 'unroutable')
        return { kind: 'unroutable', version: ruleset.version, reason: result.reason, retryAt: result.retryAt, trace: result.trace }
      let order = result.order
      const step = result.trace.steps.at(-1)!
      if (result.rotation) {
        const turn = await repo.nextTurn(tx, result.rotation.teamId)
        order = turnOrder(result.rotation.strategy, result.rotation.eligible, turn)
        step.turn = { number: turn, order }
      }
      for (const repId of order) {
        const rep = candidates.reps.get(repId)!
        if (await repo.claimCapacity(tx, repId, localTime(now, rep.timezone).date, now)) {
          const { rule } = result
          const seconds = acceptWithin(rule, lead.decision)
          const clock = clockOf(rule, lead.decision)
          return {
            kind: 'assigned',
            version: ruleset.version,
            rep: candidates.refs.get(repId)!,
            rule: { index: rule.index, name: rule.name, assign: rule.assign },
            teamId: result.teamId,
            acceptWithinSeconds: seconds,
            clock,
            deadlineAt: dueAt(now, seconds, clock, rep),
            reminders: planReminders(now, seconds, clock, rep, remindersFor(seconds, rule.remindBeforeSeconds, lead.decision.reminders)),
            trace: result.trace,
            reason: result.reason,
          }
        }
      }
    }
    const trace: Trace = { version: ruleset.version, at: now.toISOString(), steps: [], skipped: 0 }
    return {
      kind: 'unroutable',
      version: ruleset.version,
      reason: 'every eligible rep filled up while this lead was being routed',
      retryAt: new Date(now.getTime() + RACE_RETRY_MS),
      trace,
    }
  }

  /**
   * Writes what a plan decided for a lead already saved with its new status: the
   * handoff and its deadline job (assigned), or the retry job (unroutable, when the
   * calendar says when). Returns the events to append and the answer's parts.
   */
  async function record(
    tx: Tx,
    lead: LeadRow,
    decided: Plan,
    now: Date,
    { attempt = 1, snapshot }: { attempt?: number; snapshot: Record<string, unknown> },
  ) {
    if (decided.kind === 'unroutable') {
      if (decided.retryAt) await scheduleRetry(tx, lead.id, decided.retryAt, now)
      const events: NewEvent[] = [
        newEvent(
          'lead.unroutable',
          { lead: snapshot, reason: decided.reason, retryAt: decided.retryAt?.toISOString() ?? null, rulesetVersion: decided.version },
          now,
          lead.id,
        ),
      ]
      return { handoff: null, events, routing: toDecision(decided) }
    }
    const row = await insertHandoff(tx, {
      id: newId(),
      leadId: lead.id,
      repId: decided.rep.id,
      status: 'pending',
      attempt,
      deadlineAt: decided.deadlineAt,
      clock: decided.clock,
      acceptWithinSeconds: decided.acceptWithinSeconds,
      reminders: decided.reminders,
      rulesetVersion: decided.version,
      ruleIndex: decided.rule.index,
      ruleName: decided.rule.name,
      assign: decided.rule.assign,
      teamId: decided.teamId,
      trace: decided.trace,
      createdAt: now,
      updatedAt: now,
    })
    await scheduleDeadline(tx, row, now)
    const handoff = toHandoff(row)
    const rule = { version: decided.version, index: decided.rule.index, name: decided.rule.name }
    // The one-click accept link travels with the event, for notifications (Slack, email) to carry.
    const acceptUrl = await acceptLinks.urlFor(row)
    const events = [newEvent('lead.assigned', { lead: snapshot, handoff, rep: decided.rep, rule, acceptUrl }, now, lead.id)]
    return { handoff, events, routing: toDecision(decided) }
  }

  /** An unrouted lead is tried again when the earliest candidate's window opens. */
  async function scheduleRetry(tx: Tx, leadId: string, at: Date, now: Date): Promise<void> {
    await sendInTx(tx, boss, 'route-lead', { leadId, at: at.toISOString() }, { at, now })
  }

  /** The handoff's deadline job, with the handoff's id as the job id; workers poll it every half second. */
  async function scheduleDeadline(tx: Tx, handoff: HandoffState, now: Date): Promise<void> {
    await sendInTx(tx, boss, 'handoff-deadline', { handoffId: handoff.id }, { at: handoff.deadlineAt, now, id: handoff.id })
    for (const reminder of handoff.reminders) {
      const at = new Date(reminder.at)
      await sendInTx(tx, boss, 'handoff-reminder', { handoffId: handoff.id, beforeSeconds: reminder.beforeSeconds }, { at, now })
    }
  }

  const acceptUrl = (handoff: HandoffState) => acceptLinks.urlFor(handoff)

  return { plan, record, scheduleRetry, scheduleDeadline, acceptUrl }
}

export type Assigner = ReturnType<typeof createAssigner>

/** The lead status a plan leads to. */
export const statusAfter = (decided: Plan) => (decided.kind === 'assigned' ? ('pending_acceptance' as const) : ('unrouted' as const))

export function toDecision(decided: Plan): RoutingDecision {
  if (decided.kind === 'assigned') {
    return {
      outcome: 'assigned',
      version: decided.version,
      rule: decided.rule.name,
      repId: decided.rep.id,
      teamId: decided.teamId,
      reason: decided.reason,
      acceptWithinSeconds: decided.acceptWithinSeconds,
      clock: decided.clock,
      deadlineAt: decided.deadlineAt.toISOString(),
      retryAt: null,
    }
  }
  return {
    outcome: 'unroutable',
    version: decided.version,
    rule: null,
    repId: null,
    teamId: null,
    reason: decided.reason,
    acceptWithinSeconds: null,
    clock: null,
    deadlineAt: null,
    retryAt: decided.retryAt?.toISOString() ?? null,
  }
}
