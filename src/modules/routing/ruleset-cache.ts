import type { Queryable } from '../../db/client.ts'
import * as repo from './routing.repo.ts'
import { compileRuleset, type CompiledRuleset } from './compile-ruleset.ts'
import { EMPTY_RULESET, type Ruleset } from '../../db/schema/json/ruleset.ts'

/**
 * Published ruleset versions, each compiled once per process: a version never changes,
 * so only "which version is live" is read per decision (one index-only lookup).
 */
export function createRulesetCache() {
  const compiled = new Map<number, CompiledRuleset>()

  function compile(version: number, ruleset: Ruleset): CompiledRuleset {
    let entry = compiled.get(version)
    if (!entry) {
      const result = compileRuleset(ruleset, version)
      if (!result.ok) throw new Error(`stored routing ruleset ${version} does not compile: ${JSON.stringify(result.errors)}`)
      entry = result.ruleset
      compiled.set(version, entry)
    }
    return entry
  }

  return {
    compile,
    /** The live ruleset, compiled; version 0 (empty) before any is published. */
    async live(db: Queryable): Promise<CompiledRuleset> {
      return at(db, (await repo.latestVersion(db)) ?? null)
    },
    at,
  }

  /** A version already known to be live (null: none published yet), compiled; read once per process. */
  async function at(db: Queryable, version: number | null): Promise<CompiledRuleset> {
    if (version === null) return compile(0, EMPTY_RULESET)
    const cached = compiled.get(version)
    if (cached) return cached
    const row = await repo.rulesetAt(db, version)
    return compile(version, row!.ruleset)
  }
}

export type RulesetCache = ReturnType<typeof createRulesetCache>
