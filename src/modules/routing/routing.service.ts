import type { RulesetRow } from '../../db/schema/index.ts'
import type { Queryable } from '../../db/client.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound, invalidFields } from '../../lib/errors.ts'
import { invalidCursor } from '../../lib/pagination.ts'
import type { ScoringService } from '../scoring/scoring.service.ts'
import { requestSweep } from './unrouted.ts'
import * as repo from './routing.repo.ts'
import type { RulesetVersion, SimulateBody, VersionsQuery } from './routing.schemas.ts'
import { compileRuleset, namedTargets, type CompiledRuleset } from './compile-ruleset.ts'
import type { RulesetCache } from './ruleset-cache.ts'
import type { Predictor } from '../predictive/predictive.service.ts'
import { createSimulator } from './simulate.ts'
import type { Ruleset } from '../../db/schema/json/ruleset.ts'

/** Routing rulesets: read, publish as a new version, simulate drafts. */
export function createRoutingService(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'boss'> & { rulesets: RulesetCache; scoring: ScoringService; predictor: Predictor },
) {
  const { db, clock, boss, rulesets } = deps
  const simulator = createSimulator({ ...deps, checkDraft })

  /** Compiles a draft and checks every team and rep it names exists (422 naming each that does not). */
  async function checkDraft(tx: Queryable, ruleset: Ruleset, { base = '', lock = false } = {}): Promise<CompiledRuleset> {
    const compiled = compileRuleset(ruleset, null)
    const errors = compiled.ok ? [] : compiled.errors.map((e) => ({ pointer: `${base}${e.pointer}`, detail: e.detail }))
    const targets = namedTargets(ruleset)
    const teamIds = targets.flatMap((t) => (t.assign.type === 'team' ? [t.assign.teamId] : []))
    const repIds = targets.flatMap((t) => (t.assign.type === 'rep' ? [t.assign.repId] : []))
    const found = await repo.findTargets(tx, teamIds, repIds, lock)
    for (const { pointer, assign } of targets) {
      if (assign.type === 'team' && !found.teams.has(assign.teamId))
        errors.push({ pointer: `${base}${pointer}/teamId`, detail: 'no team has this id' })
      if (assign.type === 'rep' && !found.reps.has(assign.repId))
        errors.push({ pointer: `${base}${pointer}/repId`, detail: 'no rep has this id' })
    }
    if (errors.length > 0 || !compiled.ok) throw invalidFields('The routing ruleset is invalid.', errors)
    return compiled.ruleset
  }

  return {
    async current(): Promise<RulesetVersion> {
      const version = await repo.latestVersion(db)
      const row = version === undefined ? undefined : await repo.rulesetAt(db, version)
      if (!row) throw new Error('no routing ruleset: the database was not migrated (npm run migrate)')
      return toVersion(row)
    },

    async version(version: number): Promise<RulesetVersion> {
      const row = await repo.rulesetAt(db, version)
      if (!row) throw new NotFound(`No routing ruleset version ${version}.`)
      return toVersion(row)
    },

    async versions(query: VersionsQuery) {
      const limit = query.limit ?? 50
      const before = query.cursor === undefined ? undefined : decodeVersionCursor(query.cursor)
      const rows = await repo.listVersions(db, { limit, ...(before ? { before } : {}) })
      const page = rows.slice(0, limit)
      return {
        data: page.map((r) => ({
          version: r.version,
          createdAt: r.createdAt.toISOString(),
          rules: r.ruleset.rules.length,
          fallback: r.ruleset.fallback,
        })),
        nextCursor: rows.length > limit ? encodeVersionCursor(page.at(-1)!.version) : null,
      }
    },

    /**
     * Validates the whole ruleset (conditions, unique names, every team and rep), then
     * publishes it as the next version in one transaction, and has waiting leads tried
     * again under it.
     */
    async publish(ruleset: Ruleset): Promise<RulesetVersion> {
      const row = await db.transaction(async (tx) => {
        await checkDraft(tx, ruleset, { lock: true })
        const published = await repo.publishRuleset(tx, ruleset, clock.now())
        rulesets.compile(published.version, ruleset)
        await requestSweep(tx, boss)
        return published
      })
      return toVersion(row)
    },

    simulate: (body: SimulateBody) => simulator.simulate(body),
  }
}

export type RoutingService = ReturnType<typeof createRoutingService>

function toVersion(row: RulesetRow): RulesetVersion {
  return { version: row.version, createdAt: row.createdAt.toISOString(), ...row.ruleset }
}

const encodeVersionCursor = (version: number) => Buffer.from(JSON.stringify({ before: version })).toString('base64url')

function decodeVersionCursor(cursor: string): number {
  try {
    const { before } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown }
    if (typeof before === 'number' && Number.isInteger(before) && before > 0) return before
  } catch {
    // the 400 below
  }
  throw invalidCursor('cursor')
}
