import { desc, eq, isNotNull, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { leads, predictiveModels, type PredictiveModelRow } from '../../db/schema/index.ts'
import type { LeadFeatures } from './model.ts'

/** Every lead with a reported outcome, as the model reads it. */
export async function trainingSamples(db: Queryable): Promise<Array<LeadFeatures & { won: boolean }>> {
  const rows = await db.select({
    industry: leads.industry, country: leads.country, employees: leads.employees, source: leads.source,
    productInterest: leads.productInterest, signals: leads.signals, outcome: leads.outcome,
  }).from(leads).where(isNotNull(leads.outcome)).orderBy(leads.id)
  return rows.map(({ outcome, ...features }) => ({ ...features, won: outcome === 'won' }))
}

export async function outcomeCounts(db: Queryable): Promise<{ won: number; lost: number }> {
  const { rows } = await db.execute<{ won: number; lost: number }>(sql`
    select count(*) filter (where outcome = 'won')::int as won, count(*) filter (where outcome = 'lost')::int as lost from leads where outcome is not null`)
  return rows[0] ?? { won: 0, lost: 0 }
}

// One publisher at a time: versions are consecutive even when two trainings finish together.
const PUBLISH_LOCK_KEY = 7_314_020_811

export async function publish(tx: Tx, row: Omit<PredictiveModelRow, 'version'>): Promise<PredictiveModelRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PUBLISH_LOCK_KEY})`)
  const { rows } = await tx.execute<{ next: number }>(sql`select coalesce(max(version), 0) + 1 as next from predictive_models`)
  const [inserted] = await tx.insert(predictiveModels).values({ ...row, version: rows[0]!.next }).returning()
  return inserted!
}

export async function liveModel(db: Queryable): Promise<PredictiveModelRow | undefined> {
  const [row] = await db.select().from(predictiveModels).orderBy(desc(predictiveModels.version)).limit(1)
  return row
}

export async function modelAt(db: Queryable, version: number): Promise<PredictiveModelRow | undefined> {
  const [row] = await db.select().from(predictiveModels).where(eq(predictiveModels.version, version))
  return row
}

/** The live version only: cheap enough to ask on every lead. */
export async function liveVersion(db: Queryable): Promise<number | undefined> {
  const [row] = await db.select({ version: predictiveModels.version }).from(predictiveModels).orderBy(desc(predictiveModels.version)).limit(1)
  return row?.version
}
