import type { Queryable } from '../../db/client.ts'
import type { StoredDecision } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { invalidFields } from '../../lib/errors.ts'
import type { LeadInput } from '../leads/leads.schemas.ts'
import { recentQualified } from '../leads/leads.repo.ts'
import { normalizeLead } from '../leads/normalize.ts'
import type { ScoringService } from '../scoring/scoring.service.ts'
import { decideWith, type Predictor } from '../predictive/predictive.service.ts'
import { acceptWithin, candidatesFor, clockOf, promiseOf, routingRecord, type RoutableLead } from './assign.ts'
import { segmentOf, type FitStats } from './fit.ts'
import { route, type Candidates, type RouteResult } from './engine.ts'
import { turnOrder } from './rotation.ts'
import { dueAt } from '../reps/working-time.ts'
import * as repo from './routing.repo.ts'
import type { RoutingDecision } from './decision.schemas.ts'
import type { SimulateBody } from './routing.schemas.ts'
import type { CompiledRuleset } from './compile-ruleset.ts'
import type { RulesetCache } from './ruleset-cache.ts'
import type { Ruleset } from '../../db/schema/json/ruleset.ts'

type CheckDraft = (db: Queryable, ruleset: Ruleset, options: { base: string }) => Promise<CompiledRuleset>

const REPLAY_ASSUMPTIONS =
  'Each lead is decided by the draft as if it arrived at its original time, one after another: working hours and holidays ' +
  "as of that time, today's teams, members and away statuses, rotation turns continuing from where each team is now, " +
  "and capacity limits left out (past loads are not known). best_fit teams rank by each rep's expected win rate in the " +
  'lead\'s segment from today\'s won and lost deals (no random draw). "before" is the first rep the lead was offered.'

/**
 * POST /v1/routing/simulate: the decision the engine would take, with its full trace,
 * for one lead or for the last N routed leads under a draft. Reads only: turns are
 * peeked, not taken, and no capacity is claimed.
 */
export function createSimulator({
  db,
  clock,
  rulesets,
  scoring,
  predictor,
  checkDraft,
}: Pick<ServiceDeps, 'db' | 'clock'> & { rulesets: RulesetCache; scoring: ScoringService; predictor: Predictor; checkDraft: CheckDraft }) {
  async function one(input: LeadInput, draft: Ruleset | undefined) {
    const normalized = normalizeLead(input)
    if (!normalized.ok)
      throw invalidFields(
        'The lead is invalid.',
        normalized.errors.map((e) => ({ ...e, pointer: `/lead${e.pointer}` })),
      )
    const live = await scoring.liveCompiled()
    const decision: StoredDecision = decideWith(live, await predictor.current(), normalized.fields)
    const ruleset = draft ? await checkDraft(db, draft, { base: '/ruleset' }) : await rulesets.live(db)
    const now = clock.now()
    if (!decision.qualified) {
      return {
        decision: {
          ...NOBODY,
          outcome: 'not_routed' as const,
          version: ruleset.version,
          reason: `the lead is ${decision.outcome === 'nurture' ? 'nurtured' : 'disqualified'}: only qualified leads are routed`,
        },
        qualified: false,
        trace: { version: ruleset.version, at: now.toISOString(), steps: [], skipped: 0 },
      }
    }
    const lead: RoutableLead = { fields: normalized.fields, decision }
    // best_fit ranks by the expected win rate here: a simulation shows the likeliest pick, not one random draw.
    const candidates = { ...(await candidatesFor(db, ruleset, lead)), expected: true }
    const turns = await repo.peekTurns(db, [...candidates.teams.keys()])
    for (const team of candidates.teams.values()) team.turn = turns.get(team.id) ?? 1
    const result = route(ruleset, routingRecord(lead), candidates, now, { explain: true, deadlineOf: promiseOf(decision) })
    return {
      decision: toDecision(ruleset, result, decision, result.outcome === 'assigned' ? result.order[0]! : null, { candidates, now }),
      qualified: true,
      trace: result.trace,
    }
  }

  async function replay(draft: Ruleset, last: number) {
    const ruleset = await checkDraft(db, draft, { base: '/ruleset' })
    const recent = await recentQualified(db, last)
    const before = await repo.firstHandoffs(
      db,
      recent.map((l) => l.id),
    )
    const accounts = await repo.accountsByDomain(db, [...new Set(recent.flatMap((l) => (l.domain ? [l.domain] : [])))])
    const owners = [...accounts.values()].flatMap((a) => (a.ownerId ? [a.ownerId] : []))
    const base = await repo.loadCandidates(db, { teamIds: ruleset.teamIds, repIds: [...ruleset.repIds, ...owners], domain: null })
    // Past loads are unknown: capacity is left out rather than judged by today's.
    for (const rep of base.reps.values()) Object.assign(rep, { pending: 0, unworked: 0, dayCount: 0 })
    const turns = await repo.peekTurns(db, [...base.teams.keys()])
    const fits = new Map<string, FitStats>()
    if ([...base.teams.values()].some((team) => team.strategy === 'best_fit')) {
      for (const segment of new Set(recent.map((row) => segmentOf(row.industry)))) fits.set(segment, await repo.loadFitStats(db, segment))
    }

    const data = recent.map((row) => {
      const fit = fits.get(segmentOf(row.industry))
      const candidates: Candidates = {
        ...base,
        account: (row.domain && accounts.get(row.domain)) || null,
        ...(fit ? { fit, expected: true } : {}),
      }
      const result = route(ruleset, routingRecord({ fields: row, decision: row.decision }), candidates, row.createdAt, {
        deadlineOf: promiseOf(row.decision),
      })
      let repId: string | null = null
      if (result.outcome === 'assigned') {
        const turn = result.rotation ? (turns.get(result.rotation.teamId) ?? 1) : 0
        if (result.rotation) turns.set(result.rotation.teamId, turn + 1)
        repId = result.rotation ? turnOrder(result.rotation.strategy, result.rotation.eligible, turn)[0]! : result.order[0]!
      }
      const first = before.get(row.id)
      return {
        leadId: row.id,
        createdAt: row.createdAt.toISOString(),
        before: { repId: first?.repId ?? null, rule: first?.rule ?? null, version: first?.version ?? null },
        after: toDecision(ruleset, result, row.decision, repId, { candidates, now: row.createdAt }),
      }
    })
    const moves = new Map<string, { from: string | null; to: string | null; count: number }>()
    for (const { before: b, after: a } of data) {
      if (b.repId === a.repId) continue
      const key = `${b.repId}>${a.repId}`
      const move = moves.get(key) ?? { from: b.repId, to: a.repId, count: 0 }
      move.count++
      moves.set(key, move)
    }
    const summary = {
      leads: data.length,
      changed: data.filter((d) => d.before.repId !== d.after.repId).length,
      assumptions: REPLAY_ASSUMPTIONS,
    }
    return { replay: { ...summary, moves: [...moves.values()].sort((a, b) => b.count - a.count) }, data }
  }

  return {
    async simulate({ lead, ruleset, replay: replaying }: SimulateBody) {
      if (replaying && lead)
        throw invalidFields('Simulate one lead or replay past ones, not both.', [
          { pointer: '/replay', detail: 'cannot be combined with lead' },
        ])
      if (replaying) {
        if (!ruleset)
          throw invalidFields('A replay needs the draft ruleset to replay.', [{ pointer: '/ruleset', detail: 'is required with replay' }])
        return replay(ruleset, replaying.last)
      }
      if (!lead)
        throw invalidFields('Give a lead to simulate, or a ruleset with replay.', [
          { pointer: '/lead', detail: 'is required (or replay with a ruleset)' },
        ])
      return one(lead, ruleset)
    },
  }
}

const NOBODY = { rule: null, repId: null, teamId: null, acceptWithinSeconds: null, clock: null, deadlineAt: null, retryAt: null }

/** The decision as routing answers it, with the deadline the chosen rep would get (on their own calendar). */
function toDecision(
  ruleset: CompiledRuleset,
  result: RouteResult,
  decision: StoredDecision,
  repId: string | null,
  { candidates, now }: { candidates: Candidates; now: Date },
): RoutingDecision {
  if (result.outcome === 'unroutable') {
    return {
      ...NOBODY,
      outcome: 'unroutable',
      version: ruleset.version,
      reason: result.reason,
      retryAt: result.retryAt?.toISOString() ?? null,
    }
  }
  const seconds = acceptWithin(result.rule, decision)
  const clock = clockOf(result.rule, decision)
  const rep = repId ? candidates.reps.get(repId) : undefined
  return {
    outcome: 'assigned',
    version: ruleset.version,
    rule: result.rule.name,
    repId,
    teamId: result.teamId,
    reason: result.reason,
    acceptWithinSeconds: seconds,
    clock,
    deadlineAt: rep ? dueAt(now, seconds, clock, rep).toISOString() : null,
    retryAt: null,
  }
}
