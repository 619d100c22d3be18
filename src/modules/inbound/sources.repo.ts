import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { inboundSubmissions, sources, type SourceRow } from '../../db/schema/index.ts'

type NewSource = typeof sources.$inferInsert

export async function findSource(db: Queryable, id: string): Promise<SourceRow | undefined> {
  const [row] = await db.select().from(sources).where(eq(sources.id, id))
  return row
}

export async function insertSource(db: Queryable, row: NewSource): Promise<SourceRow> {
  const [inserted] = await db.insert(sources).values(row).returning()
  return inserted!
}

/** By id, after `after` when paging; one more than `limit`, so the caller knows whether a next page exists. */
export async function listSources(db: Queryable, { after, limit }: { after?: string; limit: number }): Promise<SourceRow[]> {
  return db
    .select()
    .from(sources)
    .where(after ? gt(sources.id, after) : undefined)
    .orderBy(asc(sources.id))
    .limit(limit + 1)
}

export async function updateSource(db: Queryable, id: string, changes: Partial<Omit<NewSource, 'id'>>): Promise<SourceRow | undefined> {
  const [row] = await db.update(sources).set(changes).where(eq(sources.id, id)).returning()
  return row
}

export async function deleteSource(db: Queryable, id: string): Promise<void> {
  await db.delete(sources).where(eq(sources.id, id))
}

const SUBMISSION_LOCK_NAMESPACE = 7316

/**
 * The lead an earlier delivery of this submission made. Takes the submission's lock first,
 * held until the transaction ends, so two deliveries of one submission make one lead.
 */
export async function previousDelivery(tx: Tx, sourceId: string, submissionId: string): Promise<string | undefined> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SUBMISSION_LOCK_NAMESPACE}, hashtext(${`${sourceId}\n${submissionId}`}))`)
  const [row] = await tx
    .select({ leadId: inboundSubmissions.leadId })
    .from(inboundSubmissions)
    .where(and(eq(inboundSubmissions.sourceId, sourceId), eq(inboundSubmissions.submissionId, submissionId)))
  return row?.leadId
}

export async function recordDelivery(tx: Tx, row: typeof inboundSubmissions.$inferInsert): Promise<void> {
  await tx.insert(inboundSubmissions).values(row)
}
