import { desc, eq, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { predictiveModels, type PredictiveModelRow } from '../../db/schema/index.ts'
import type { LeadFeatures } from './model.ts'

/**
 * Every lead with a reported outcome, as the model reads it, a page at a time through one
 * cursor (so one snapshot and one scan): a caller that maps each page to what it keeps never
 * holds more than a page of rows. In id order, so the same leads train the same model.
 */
export async function* trainingSamples(tx: Tx, pageSize = 5_000): AsyncGenerator<Array<LeadFeatures & { won: boolean }>> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, not ${pageSize}`)
  await tx.execute(sql`declare training_samples no scroll cursor for
    select industry, country, employees, source, product_interest as "productInterest", signals, outcome = 'won' as won
    from leads where outcome is not null order by id`)
  // FETCH takes no bind parameter for its count; pageSize is a checked integer, not input.
  const fetchPage = sql.raw(`fetch ${pageSize} from training_samples`)
  let failed = false
  try {
    for (;;) {
      const { rows } = await tx.execute<Record<string, unknown> & LeadFeatures & { won: boolean }>(fetchPage)
      if (rows.length > 0) yield rows
      if (rows.length < pageSize) return
    }
  } catch (error) {
    failed = true
    throw error
  } finally {
    // Closed also when the caller stops early, so the transaction can declare it again; not
    // after a failed FETCH, which aborted the transaction (closing would hide the error).
    if (!failed) await tx.execute(sql`close training_samples`)
  }
}

export async function outcomeCounts(db: Queryable): Promise<{ won: number; lost: number }> {
  const { rows } = await db.execute<{ won: number; lost: number }>(sql`
    select count(*) filter (where outcome = 'won')::int as won, count(*) filter (where outcome = 'lost')::int as lost
    from leads where outcome is not null`)
  return rows[0] ?? { won: 0, lost: 0 }
}

// One publisher at a time: versions are consecutive even when two trainings finish together
// (the training lock already serialises runs; this one also holds against an older release's).
export const PUBLISH_LOCK_KEY = 7_314_020_811

/** The advisory lock a training run holds, on whichever instance (API request or scheduled job) runs it. */
export const TRAINING_LOCK_KEY = 7_314_020_812

/**
 * Takes the training lock for the rest of the transaction, without waiting: false when
 * another transaction (another request, instance or the scheduled job) holds it.
 */
export async function tryTrainingLock(tx: Tx): Promise<boolean> {
  const { rows } = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${TRAINING_LOCK_KEY}) as locked`)
  return rows[0]?.locked === true
}

export async function publish(tx: Tx, row: Omit<PredictiveModelRow, 'version'>): Promise<PredictiveModelRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PUBLISH_LOCK_KEY})`)
  const { rows } = await tx.execute<{ next: number }>(sql`select coalesce(max(version), 0) + 1 as next from predictive_models`)
  const [inserted] = await tx
    .insert(predictiveModels)
    .values({ ...row, version: rows[0]!.next })
    .returning()
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
  const [row] = await db
    .select({ version: predictiveModels.version })
    .from(predictiveModels)
    .orderBy(desc(predictiveModels.version))
    .limit(1)
  return row?.version
}
