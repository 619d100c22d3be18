import { and, asc, desc, eq, gt, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { leads, type LeadRow, type LeadStatus } from '../../db/schema/index.ts'

// Namespace of the two-key advisory locks taken per lead email (see lockEmail).
const EMAIL_LOCK_NAMESPACE = 7314

/**
 * Serialises ingestion of one email address until the transaction ends, so parallel
 * submissions of a new address make one lead, not several. Other addresses are not held up.
 */
export async function lockEmail(db: Queryable, email: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(${EMAIL_LOCK_NAMESPACE}, hashtext(${email}))`)
}

/** The lead this email last submitted at or after `since`, locked for update. */
export async function findRecentByEmail(db: Queryable, email: string, since: Date): Promise<LeadRow | undefined> {
  const [row] = await db
    .select()
    .from(leads)
    .where(and(eq(leads.email, email), gte(leads.lastSubmittedAt, since)))
    .orderBy(desc(leads.lastSubmittedAt))
    .limit(1)
    .for('update')
  return row
}

export async function insertLead(db: Queryable, row: typeof leads.$inferInsert): Promise<LeadRow> {
  const [inserted] = await db.insert(leads).values(row).returning()
  return inserted!
}

export async function updateLead(db: Queryable, id: string, changes: Partial<typeof leads.$inferInsert>): Promise<LeadRow> {
  const [row] = await db.update(leads).set(changes).where(eq(leads.id, id)).returning()
  return row!
}

/** The lead, locked until the transaction ends: every change after ingestion starts here. */
export async function lockLead(db: Queryable, id: string): Promise<LeadRow | undefined> {
  const [row] = await db.select().from(leads).where(eq(leads.id, id)).for('update')
  return row
}

export async function findLead(db: Queryable, id: string): Promise<LeadRow | undefined> {
  const [row] = await db.select().from(leads).where(eq(leads.id, id))
  return row
}

export interface LeadFilters {
  status?: LeadStatus
  ownerId?: string
  source?: string
  createdAfter?: Date
  createdBefore?: Date
  after?: string
  limit: number
}

export async function listLeads(db: Queryable, f: LeadFilters): Promise<LeadRow[]> {
  const filters: SQL[] = []
  if (f.status) filters.push(eq(leads.status, f.status))
  if (f.ownerId) filters.push(eq(leads.ownerId, f.ownerId))
  if (f.source) filters.push(eq(leads.source, f.source))
  if (f.createdAfter) filters.push(gte(leads.createdAt, f.createdAfter))
  if (f.createdBefore) filters.push(lt(leads.createdAt, f.createdBefore))
  if (f.after) filters.push(gt(leads.id, f.after))
  return db.select().from(leads).where(and(...filters)).orderBy(asc(leads.id)).limit(f.limit + 1)
}
