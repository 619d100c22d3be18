import type { ScoringModelRow } from '../../db/schema/index.ts'
import type { Queryable } from '../../db/client.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { invalidFields } from '../../lib/errors.ts'
import * as repo from './scoring.repo.ts'
import type { ScoringModelVersion } from './scoring.schemas.ts'
import { compileModel, type CompiledModel } from './score.ts'
import type { ScoringModel } from '../../db/schema/json/scoring-model.ts'

/** The scoring model: read the live version, publish a new one, compile each version once. */
export function createScoringService({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>) {
  // Versions never change once published, so a compiled version is good forever.
  const compiled = new Map<number, CompiledModel>()

  function compiledFor(row: ScoringModelRow): CompiledModel {
    let model = compiled.get(row.version)
    if (!model) {
      const result = compileModel(row.model)
      if (!result.ok) throw new Error(`stored scoring model ${row.version} does not compile: ${JSON.stringify(result.errors)}`)
      model = result.model
      compiled.set(row.version, model)
    }
    return model
  }

  async function live(): Promise<ScoringModelRow> {
    const row = await repo.latestModel(db)
    if (!row) throw new Error('no scoring model: the database was not migrated (npm run migrate)')
    return row
  }

  return {
    async current(): Promise<ScoringModelVersion> {
      return toVersion(await live())
    },

    /** Validates every condition (422 naming each bad node), then publishes the next version. */
    async publish(model: ScoringModel): Promise<ScoringModelVersion> {
      const result = compileModel(model)
      if (!result.ok) throw invalidFields('The scoring model is invalid.', result.errors)
      const row = await db.transaction((tx) => repo.publishModel(tx, model, clock.now()))
      compiled.set(row.version, result.model)
      return toVersion(row)
    },

    /** The live model, compiled: what ingestion scores leads with. */
    async liveCompiled(): Promise<{ version: number; model: CompiledModel }> {
      const row = await live()
      return { version: row.version, model: compiledFor(row) }
    },

    /** A version already known to be live (ingestion reads it with the email lock): no I/O once compiled here. */
    async compiledAt(reader: Queryable, version: number | null): Promise<{ version: number; model: CompiledModel }> {
      const model = version === null ? undefined : compiled.get(version)
      if (model) return { version: version!, model }
      const row = version === null ? undefined : await repo.modelVersion(reader, version)
      if (!row) throw new Error('no scoring model: the database was not migrated (npm run migrate)')
      return { version: row.version, model: compiledFor(row) }
    },
  }
}

export type ScoringService = ReturnType<typeof createScoringService>

function toVersion(row: ScoringModelRow): ScoringModelVersion {
  return { version: row.version, createdAt: row.createdAt.toISOString(), ...row.model }
}
