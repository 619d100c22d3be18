import { and, asc, desc, eq, getTableColumns, lt, lte, sql, type SQL } from 'drizzle-orm'
import { prepared } from '../../db/prepared.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import { handoffs, type HandoffRow, type HandoffState, type HandoffStatus } from '../../db/schema/index.ts'
import type { Schedule } from '../reps/working-time.ts'

// A handoff's state without its routing trace (kilobytes of JSON for a team of 20): what
// every change, list and accept page reads. Only GET /v1/handoffs/:id shows the trace.
const allColumns = getTableColumns(handoffs)
const { trace: _trace, ...stateColumns } = allColumns

type NewHandoff = typeof handoffs.$inferInsert
const insertQuery = prepared.write<HandoffState>(allColumns, stateColumns, (db, given, returns) =>
  db
    .insert(handoffs)
    .values(given as unknown as NewHandoff)
    .returning(returns),
)
const updateQuery = prepared.write<HandoffState>(allColumns, stateColumns, (db, given, returns) =>
  db
    .update(handoffs)
    .set(given)
    .where(eq(handoffs.id, sql.placeholder('whereId')))
    .returning(returns),
)

export async function insertHandoff(db: Queryable, row: NewHandoff): Promise<HandoffState> {
  const [inserted] = await insertQuery(db, row)
  return inserted!
}

export async function findHandoff(db: Queryable, id: string): Promise<HandoffState | undefined> {
  const [row] = await db.select(stateColumns).from(handoffs).where(eq(handoffs.id, id))
  return row
}

/** With the routing trace: GET /v1/handoffs/:id. */
export async function findHandoffWithTrace(db: Queryable, id: string): Promise<HandoffRow | undefined> {
  const [row] = await db.select().from(handoffs).where(eq(handoffs.id, id))
  return row
}

/** The handoff, locked until the transaction ends: every state change starts here. */
export async function lockHandoff(tx: Tx, id: string): Promise<HandoffState | undefined> {
  const [row] = await tx.select(stateColumns).from(handoffs).where(eq(handoffs.id, id)).for('update')
  return row
}

export async function updateHandoff(tx: Tx, id: string, changes: Partial<NewHandoff>): Promise<HandoffState> {
  const [row] = await updateQuery(tx, changes, { whereId: id })
  return row!
}

/**
 * Pending handoffs whose deadline passed before `before`, most overdue first: what a lost or
 * failed deadline job left waiting (partial index handoffs_pending_deadline_idx).
 */
export async function pendingPastDeadline(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: handoffs.id })
    .from(handoffs)
    .where(and(eq(handoffs.status, 'pending'), lt(handoffs.deadlineAt, before)))
    .orderBy(asc(handoffs.deadlineAt))
    .limit(limit)
  return rows.map((row) => row.id)
}

/** Newest first (ids are UUIDv7), below `before` when paging. */
export async function listHandoffs(
  db: Queryable,
  { repId, status, before, limit }: { repId?: string; status?: HandoffStatus; before?: string; limit: number },
): Promise<HandoffState[]> {
  const filters: SQL[] = []
  if (repId) filters.push(eq(handoffs.repId, repId))
  if (status) filters.push(eq(handoffs.status, status))
  if (before) filters.push(lt(handoffs.id, before))
  return db
    .select(stateColumns)
    .from(handoffs)
    .where(and(...filters))
    .orderBy(desc(handoffs.id))
    .limit(limit + 1)
}

/** Who already had a lead, the attempt number its next handoff takes, and the live ruleset version to route it on. */
export interface PriorHandoffs {
  reps: Set<string>
  nextAttempt: number
  liveVersion: number | null
}

// What a re-route reads before it plans, as columns of any statement about the lead (`leadId`
// a value or a column): the deadline job reads them in its expiry's RETURNING.
type PriorRow = { priorReps: string[] | null; lastAttempt: number | null; liveVersion: number | null }
const priorColumns = (leadId: SQL | string) => ({
  priorReps: sql<PriorRow['priorReps']>`(select array_agg(p.rep_id) from handoffs p where p.lead_id = ${leadId})`,
  lastAttempt: sql<PriorRow['lastAttempt']>`(select max(p.attempt) from handoffs p where p.lead_id = ${leadId})`,
  liveVersion: sql<PriorRow['liveVersion']>`(select max(version) from routing_rulesets)`,
})
const toPrior = (row: PriorRow): PriorHandoffs => ({
  reps: new Set(row.priorReps ?? []),
  nextAttempt: (row.lastAttempt ?? 0) + 1,
  liveVersion: row.liveVersion,
})

/** Before a re-route, in one round trip. */
export async function priorHandoffs(tx: Tx, leadId: string): Promise<PriorHandoffs> {
  const [row] = await tx.select(priorColumns(leadId)).from(sql`(select 1) as one`)
  return toPrior(row!)
}

const expiredColumns = {
  ...stateColumns,
  ...priorColumns(sql`${handoffs.leadId}`),
  // The rep's calendar now: whether the deadline fell in their working time (auto-away counts only those).
  schedule: sql<Schedule>`(select json_build_object('timezone', r.timezone, 'workingHours', r.working_hours, 'holidays', r.holidays)
    from reps r where r.id = ${handoffs.repId})`,
}
type ExpiredRow = HandoffState & PriorRow & { schedule: Schedule }
const expireQuery = prepared.query<ExpiredRow>(expiredColumns, (db, returns) =>
  db
    .update(handoffs)
    .set({
      status: 'expired',
      respondedAt: sql`${sql.placeholder('now')}`,
      updatedAt: sql`${sql.placeholder('now')}`,
      reason: 'the deadline passed',
    })
    .where(and(eq(handoffs.id, sql.placeholder('id')), eq(handoffs.status, 'pending'), lte(handoffs.deadlineAt, sql.placeholder('due'))))
    .returning(returns),
)

/**
 * The deadline job's first step: the handoff expires if it is still pending and its deadline
 * is at or before `due`, and comes back with what its re-route reads (one round trip where
 * locking, updating and reading took three). Undefined: it was answered first, or is not due.
 */
export async function expireIfDue(
  tx: Tx,
  id: string,
  now: Date,
  due: Date,
): Promise<{ expired: HandoffState; prior: PriorHandoffs; schedule: Schedule } | undefined> {
  const [row] = await expireQuery(tx, { id, now, due })
  if (!row) return undefined
  const { priorReps, lastAttempt, liveVersion, schedule, ...expired } = row
  return { expired, prior: toPrior({ priorReps, lastAttempt, liveVersion }), schedule }
}

const releaseQuery = prepared.sql<{ id: string; name: string; email: string; maxPending: number | null; expiredInRow: number }>(() => {
  const [repId, outcome] = [sql.placeholder('repId'), sql.placeholder('outcome')]
  return sql`
    with released as (
      update rep_answers set
        released = released + 1,
        unworked = unworked + case when ${outcome}::text = 'accepted' then 1 else 0 end,
        expired_in_row = case ${outcome}::text when 'expired' then expired_in_row + 1 when 'cancelled' then expired_in_row
          when 'expired_off_hours' then expired_in_row else 0 end
      where rep_id = ${repId}
      returning expired_in_row
    )
    select r.id, r.name, r.email, r.max_pending as "maxPending", coalesce((select expired_in_row from released), 0) as "expiredInRow"
    from reps r where r.id = ${repId}`
})

/**
 * A pending handoff was answered or ran out: it is released (the rep's pending count
 * goes down), an acceptance becomes unworked (accepted, not yet contacted) work, an
 * expiry adds to the rep's run of expiries (any answer ends the run) unless it fell outside
 * their working time (`countsTowardAway` false: it neither adds to nor ends it). Written to
 * rep_answers only, never rep_loads: see src/db/schema/routing.ts. Returns the run, and
 * the rep as events name them (one round trip for both).
 */
export async function releaseLoad(
  tx: Tx,
  repId: string,
  outcome: Exclude<HandoffStatus, 'pending'>,
  { countsTowardAway = true }: { countsTowardAway?: boolean } = {},
) {
  const rows = await releaseQuery(tx, { repId, outcome: outcome === 'expired' && !countsTowardAway ? 'expired_off_hours' : outcome })
  const { expiredInRow, maxPending, ...rep } = rows[0]!
  return { expiredInRow, maxPending, rep }
}

/** An escalation goes to a manager whatever their load: it still counts as pending work. */
export async function addPending(tx: Tx, repId: string, at: Date): Promise<void> {
  await tx.execute(sql`update rep_loads set claimed = claimed + 1, last_assigned_at = ${at} where rep_id = ${repId}`)
}

/** The lead's handoff waiting for an answer, if any, locked. */
export async function lockPendingOf(tx: Tx, leadId: string): Promise<HandoffState | undefined> {
  return lockLiveOf(tx, leadId, 'pending')
}

/** The lead's pending or accepted handoff (at most one of each), locked. */
export async function lockLiveOf(tx: Tx, leadId: string, status: 'pending' | 'accepted'): Promise<HandoffState | undefined> {
  const [row] = await tx
    .select(stateColumns)
    .from(handoffs)
    .where(and(eq(handoffs.leadId, leadId), eq(handoffs.status, status)))
    .for('update')
  return row
}

/** The lead's latest handoff, whatever became of it: whom a reassign moves the lead from. */
export async function latestOf(db: Queryable, leadId: string): Promise<HandoffState | undefined> {
  const [row] = await db.select(stateColumns).from(handoffs).where(eq(handoffs.leadId, leadId)).orderBy(desc(handoffs.attempt)).limit(1)
  return row
}

/** An accepted lead stops being unworked once contacted, converted or closed. */
export async function releaseUnworked(tx: Tx, repId: string): Promise<void> {
  await tx.execute(sql`update rep_answers set unworked = greatest(unworked - 1, 0) where rep_id = ${repId}`)
}

/**
 * Reminders of pending handoffs due before `before` and not sent, earliest first: what a lost
 * reminder job left behind. Reads only pending handoffs (handoffs_pending_deadline_idx).
 */
export async function remindersPastDue(
  db: Queryable,
  before: Date,
  limit: number,
): Promise<Array<{ handoffId: string; beforeSeconds: number }>> {
  const { rows } = await db.execute<{ handoffId: string; beforeSeconds: number }>(sql`
    select h.id as "handoffId", (r->>'beforeSeconds')::int as "beforeSeconds"
    from handoffs h, jsonb_array_elements(h.reminders) r
    where h.status = 'pending' and h.deadline_at > ${before} and r->>'sentAt' is null and (r->>'at')::timestamptz < ${before}
    order by (r->>'at')::timestamptz limit ${limit}`)
  return rows
}

/** A rep's pending handoffs, oldest first: what a hand-back withdraws. */
export async function pendingIdsOf(db: Queryable, repId: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: handoffs.id })
    .from(handoffs)
    .where(and(eq(handoffs.repId, repId), eq(handoffs.status, 'pending')))
    .orderBy(asc(handoffs.createdAt))
    .limit(limit)
  return rows.map((row) => row.id)
}

/** True when the lead was ever offered to the rep: what a rep token may read of it. */
export async function wasOfferedTo(db: Queryable, leadId: string, repId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: handoffs.id })
    .from(handoffs)
    .where(and(eq(handoffs.leadId, leadId), eq(handoffs.repId, repId)))
    .limit(1)
  return row !== undefined
}
