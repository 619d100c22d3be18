import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, sql, type SQL } from 'drizzle-orm'
import { QueryBuilder } from 'drizzle-orm/pg-core'
import { prepared } from '../../db/prepared.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import { handoffs, leads, type LeadRow, type LeadStatus } from '../../db/schema/index.ts'

/** What a submission starts from: the lead its email already has, and the live versions. */
export interface SubmissionStart {
  leadId: string | null
  scoringVersion: number | null
  predictiveVersion: number | null
  rulesetVersion: number | null
}

const beginQuery = prepared.sql<{
  lead_id: string | null
  scoring_version: number | null
  predictive_version: number | null
  ruleset_version: number | null
}>(() => sql`select * from baton_begin_submission(${sql.placeholder('email')}, ${sql.placeholder('since')}::timestamptz)`)

/**
 * Serialises ingestion of one email address until the transaction ends (parallel
 * submissions of a new address make one lead, not several; other addresses are not held
 * up), then finds the lead the email submitted at or after `since` and the live scoring,
 * conversion and routing versions: one round trip (migration 0016 says why a function).
 */
export async function beginSubmission(db: Queryable, email: string, since: Date): Promise<SubmissionStart> {
  const [row] = await beginQuery(db, { email, since: since.toISOString() })
  return {
    leadId: row!.lead_id,
    scoringVersion: row!.scoring_version,
    predictiveVersion: row!.predictive_version,
    rulesetVersion: row!.ruleset_version,
  }
}

const leadColumns = getTableColumns(leads)
const insertQuery = prepared.write<LeadRow>(leadColumns, leadColumns, (db, given, returns) =>
  db
    .insert(leads)
    .values(given as unknown as typeof leads.$inferInsert)
    .returning(returns),
)
const updateQuery = prepared.write<LeadRow>(leadColumns, leadColumns, (db, given, returns) =>
  db
    .update(leads)
    .set(given)
    .where(eq(leads.id, sql.placeholder('whereId')))
    .returning(returns),
)

export async function insertLead(db: Queryable, row: typeof leads.$inferInsert): Promise<LeadRow> {
  const [inserted] = await insertQuery(db, row)
  return inserted!
}

export async function updateLead(db: Queryable, id: string, changes: Partial<typeof leads.$inferInsert>): Promise<LeadRow> {
  const [row] = await updateQuery(db, changes, { whereId: id })
  return row!
}

/** The lead, locked until the transaction ends: every change after ingestion starts here. */
export async function lockLead(db: Queryable, id: string): Promise<LeadRow | undefined> {
  const [row] = await db.select().from(leads).where(eq(leads.id, id)).for('update')
  return row
}

/** The pending handoff a lead waits on: at most one (handoffs_one_pending_per_lead). */
export interface LeadOffer {
  handoffId: string
  repId: string
  deadlineAt: Date
}

/** A lead and the offer it waits on, read in one statement: what the API answers about a lead. */
export interface LeadView {
  row: LeadRow
  offer: LeadOffer | null
}

// Joined LATERAL to each lead a statement reads: one probe of handoffs_one_pending_per_lead per lead, no extra round trip.
const pendingOffer = new QueryBuilder()
  .select({ handoffId: handoffs.id, repId: handoffs.repId, deadlineAt: handoffs.deadlineAt })
  .from(handoffs)
  .where(and(eq(handoffs.leadId, leads.id), eq(handoffs.status, 'pending')))
  .as('pending_offer')
const viewColumns = {
  ...leadColumns,
  offerHandoffId: pendingOffer.handoffId,
  offerRepId: pendingOffer.repId,
  offerDeadlineAt: pendingOffer.deadlineAt,
}
type ViewRow = LeadRow & { offerHandoffId: string | null; offerRepId: string | null; offerDeadlineAt: Date | null }

function toView({ offerHandoffId, offerRepId, offerDeadlineAt, ...row }: ViewRow): LeadView {
  return { row, offer: offerHandoffId ? { handoffId: offerHandoffId, repId: offerRepId!, deadlineAt: offerDeadlineAt! } : null }
}

const findViewQuery = prepared.query<ViewRow>(viewColumns, (db, returns) =>
  db
    .select(returns)
    .from(leads)
    .leftJoinLateral(pendingOffer, sql`true`)
    .where(eq(leads.id, sql.placeholder('id'))),
)

/** The lead with its pending offer, if there is such a lead. */
export async function findLeadView(db: Queryable, id: string): Promise<LeadView | undefined> {
  const [row] = await findViewQuery(db, { id })
  return row && toView(row)
}

/** lockLead, with the lead's pending offer read in the same statement (the handoff itself is not locked). */
export async function lockLeadView(db: Queryable, id: string): Promise<LeadView | undefined> {
  const [row] = await db
    .select(viewColumns)
    .from(leads)
    .leftJoinLateral(pendingOffer, sql`true`)
    .where(eq(leads.id, id))
    .for('update', { of: leads })
  return row && toView(row)
}

/** The lead's pending offer alone: for an answer about a lead whose row a write just returned. */
export async function pendingOfferOf(db: Queryable, leadId: string): Promise<LeadOffer | null> {
  const [row] = await db
    .select({ handoffId: handoffs.id, repId: handoffs.repId, deadlineAt: handoffs.deadlineAt })
    .from(handoffs)
    .where(and(eq(handoffs.leadId, leadId), eq(handoffs.status, 'pending')))
  return row ?? null
}

const findQuery = prepared.query<LeadRow>(leadColumns, (db, returns) =>
  db
    .select(returns)
    .from(leads)
    .where(eq(leads.id, sql.placeholder('id'))),
)

export async function findLead(db: Queryable, id: string): Promise<LeadRow | undefined> {
  const [row] = await findQuery(db, { id })
  return row
}

/** Unrouted leads whose calendar retry was due before `before`: what a lost route-lead job left waiting. */
export async function unroutedPastRetry(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: leads.id })
    .from(leads)
    .where(and(eq(leads.status, 'unrouted'), lt(leads.nextRouteAt, before)))
    .orderBy(asc(leads.nextRouteAt))
    .limit(limit)
  return rows.map((row) => row.id)
}

export interface LeadFilters {
  status?: LeadStatus
  ownerId?: string
  /** Owned by this rep now, or offered to it (pending). */
  repId?: string
  /** As stored: trimmed and lower-cased. */
  email?: string
  /** As stored: normalizeDomain's form. */
  domain?: string
  source?: string
  createdAfter?: Date
  createdBefore?: Date
  after?: string
  limit: number
}

/** The statement GET /v1/leads runs: exported so a test can EXPLAIN exactly it. */
export function listLeadsQuery(db: Queryable, f: LeadFilters) {
  const filters: SQL[] = []
  if (f.status) filters.push(eq(leads.status, f.status))
  if (f.ownerId) filters.push(eq(leads.ownerId, f.ownerId))
  if (f.repId) filters.push(inArray(leads.id, heldBy(db, f.repId)))
  if (f.email) filters.push(eq(leads.email, f.email))
  if (f.domain) filters.push(eq(leads.domain, f.domain))
  if (f.source) filters.push(eq(leads.source, f.source))
  if (f.createdAfter) filters.push(gte(leads.createdAt, f.createdAfter))
  if (f.createdBefore) filters.push(lt(leads.createdAt, f.createdBefore))
  if (f.after) filters.push(gt(leads.id, f.after))
  return db
    .select(viewColumns)
    .from(leads)
    .leftJoinLateral(pendingOffer, sql`true`)
    .where(and(...filters))
    .orderBy(asc(leads.id))
    .limit(f.limit + 1)
}

/**
 * The ids of the leads a rep owns or is offered. A UNION, not `owner_id = $1 OR offer.rep_id = $1`:
 * each half has its index (leads_owner_idx, handoffs_rep_idx), where the OR across two tables has none
 * and would read every lead.
 */
function heldBy(db: Queryable, repId: string) {
  const owned = db.select({ id: leads.id }).from(leads).where(eq(leads.ownerId, repId))
  const offered = db
    .select({ id: handoffs.leadId })
    .from(handoffs)
    .where(and(eq(handoffs.repId, repId), eq(handoffs.status, 'pending')))
  return owned.unionAll(offered)
}

export async function listLeads(db: Queryable, f: LeadFilters): Promise<LeadView[]> {
  return (await listLeadsQuery(db, f)).map(toView)
}

/** The lead if it is still unrouted, locked; SKIP LOCKED: a lead locked by someone else is being handled by them. */
export async function lockUnrouted(tx: Tx, id: string): Promise<LeadRow | undefined> {
  const [row] = await tx
    .select()
    .from(leads)
    .where(and(eq(leads.id, id), eq(leads.status, 'unrouted')))
    .for('update', { skipLocked: true })
  return row
}

/** Unrouted leads' ids in id order, after `after` when paging. */
export async function unroutedIds(db: Queryable, { after, limit }: { after?: string; limit: number }): Promise<string[]> {
  const rows = await db
    .select({ id: leads.id })
    .from(leads)
    .where(and(eq(leads.status, 'unrouted'), after ? gt(leads.id, after) : undefined))
    .orderBy(asc(leads.id))
    .limit(limit)
  return rows.map((row) => row.id)
}

/** The `last` qualified leads, oldest first: what a simulation replays. */
export async function recentQualified(db: Queryable, last: number): Promise<LeadRow[]> {
  const rows = await db.select().from(leads).where(eq(leads.qualified, true)).orderBy(desc(leads.createdAt), desc(leads.id)).limit(last)
  return rows.reverse()
}

/** The leads a rep owns in these statuses, oldest first: what a hand-back moves. */
export async function ownedLeadIds(db: Queryable, repId: string, statuses: LeadStatus[]): Promise<string[]> {
  const rows = await db
    .select({ id: leads.id })
    .from(leads)
    .where(and(eq(leads.ownerId, repId), inArray(leads.status, statuses)))
    .orderBy(asc(leads.id))
  return rows.map((row) => row.id)
}
