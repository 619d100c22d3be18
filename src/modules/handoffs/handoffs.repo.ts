import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { handoffs, type HandoffRow, type HandoffStatus } from '../../db/schema/index.ts'

export async function insertHandoff(db: Queryable, row: typeof handoffs.$inferInsert): Promise<HandoffRow> {
  const [inserted] = await db.insert(handoffs).values(row).returning()
  return inserted!
}

export async function findHandoff(db: Queryable, id: string): Promise<HandoffRow | undefined> {
  const [row] = await db.select().from(handoffs).where(eq(handoffs.id, id))
  return row
}

/** The handoff, locked until the transaction ends: every state change starts here. */
export async function lockHandoff(tx: Tx, id: string): Promise<HandoffRow | undefined> {
  const [row] = await tx.select().from(handoffs).where(eq(handoffs.id, id)).for('update')
  return row
}

export async function updateHandoff(tx: Tx, id: string, changes: Partial<typeof handoffs.$inferInsert>): Promise<HandoffRow> {
  const [row] = await tx.update(handoffs).set(changes).where(eq(handoffs.id, id)).returning()
  return row!
}

/** Newest first (ids are UUIDv7), below `before` when paging. */
export async function listHandoffs(
  db: Queryable,
  { repId, status, before, limit }: { repId?: string; status?: HandoffStatus; before?: string; limit: number },
): Promise<HandoffRow[]> {
  const filters: SQL[] = []
  if (repId) filters.push(eq(handoffs.repId, repId))
  if (status) filters.push(eq(handoffs.status, status))
  if (before) filters.push(lt(handoffs.id, before))
  return db.select().from(handoffs).where(and(...filters)).orderBy(desc(handoffs.id)).limit(limit + 1)
}

/**
 * Who already had this lead, the attempt number its next handoff takes, and the live
 * ruleset's version to route it on: one round trip before a re-route. The rest of the
 * transaction then uses generic plans, as with liveVersionForRouting (routing.repo.ts).
 */
export async function priorHandoffs(tx: Tx, leadId: string): Promise<{ reps: Set<string>; nextAttempt: number; liveVersion: number | null }> {
  const { rows } = await tx.execute<{ rep_ids: string[] | null; last_attempt: number | null; version: number | null }>(sql`
    select (select array_agg(rep_id) from handoffs where lead_id = ${leadId}) as rep_ids,
      (select max(attempt) from handoffs where lead_id = ${leadId}) as last_attempt,
      (select max(version) from routing_rulesets) as version,
      set_config('plan_cache_mode', 'force_generic_plan', true) as plans`)
  const row = rows[0]!
  return { reps: new Set(row.rep_ids ?? []), nextAttempt: (row.last_attempt ?? 0) + 1, liveVersion: row.version }
}

/**
 * A pending handoff was answered or ran out: it is released (the rep's pending count
 * goes down), an acceptance becomes unworked (accepted, not yet contacted) work, an
 * expiry adds to the rep's run of expiries (any answer ends the run). Written to
 * rep_answers only, never rep_loads: see src/db/schema/routing.ts. Returns the run, and
 * the rep as events name them (one round trip for both).
 */
export async function releaseLoad(tx: Tx, repId: string, outcome: Exclude<HandoffStatus, 'pending'>) {
  const { rows } = await tx.execute<{ id: string; name: string; email: string; maxPending: number | null; expiredInRow: number }>(sql`
    with released as (
      update rep_answers set
        released = released + 1,
        unworked = unworked + ${outcome === 'accepted' ? 1 : 0},
        expired_in_row = ${outcome === 'expired' ? sql`expired_in_row + 1` : outcome === 'cancelled' ? sql`expired_in_row` : sql`0`}
      where rep_id = ${repId}
      returning expired_in_row
    )
    select r.id, r.name, r.email, r.max_pending as "maxPending", coalesce((select expired_in_row from released), 0) as "expiredInRow"
    from reps r where r.id = ${repId}`)
  const { expiredInRow, maxPending, ...rep } = rows[0]!
  return { expiredInRow, maxPending, rep }
}

/** An escalation goes to a manager whatever their load: it still counts as pending work. */
export async function addPending(tx: Tx, repId: string, at: Date): Promise<void> {
  await tx.execute(sql`update rep_loads set claimed = claimed + 1, last_assigned_at = ${at} where rep_id = ${repId}`)
}

/** The lead's handoff waiting for an answer, if any, locked. */
export async function lockPendingOf(tx: Tx, leadId: string): Promise<HandoffRow | undefined> {
  const [row] = await tx.select().from(handoffs).where(and(eq(handoffs.leadId, leadId), eq(handoffs.status, 'pending'))).for('update')
  return row
}

/** An accepted lead stops being unworked once contacted, converted or closed. */
export async function releaseUnworked(tx: Tx, repId: string): Promise<void> {
  await tx.execute(sql`update rep_answers set unworked = greatest(unworked - 1, 0) where rep_id = ${repId}`)
}
