import { desc, eq, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { scoringModels, type ScoringModelRow } from '../../db/schema/index.ts'
import type { ScoringModel } from '../../db/schema/json/scoring-model.ts'

// Publishing takes this transaction-scoped lock so two concurrent PUTs get
// consecutive versions instead of colliding on the same one.
const PUBLISH_LOCK_KEY = 7_314_026_002

export async function latestModel(db: Queryable): Promise<ScoringModelRow | undefined> {
  const [row] = await db.select().from(scoringModels).orderBy(desc(scoringModels.version)).limit(1)
  return row
}

export async function modelVersion(db: Queryable, version: number): Promise<ScoringModelRow | undefined> {
  const [row] = await db.select().from(scoringModels).where(eq(scoringModels.version, version))
  return row
}

export async function publishModel(tx: Tx, model: ScoringModel, at: Date): Promise<ScoringModelRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PUBLISH_LOCK_KEY})`)
  const next = ((await latestModel(tx))?.version ?? 0) + 1
  const [row] = await tx.insert(scoringModels).values({ version: next, model, createdAt: at }).returning()
  return row!
}
