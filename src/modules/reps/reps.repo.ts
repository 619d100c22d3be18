import { and, asc, count, eq, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import type { Schedule } from './working-time.ts'
import { accounts, handoffs, leads, repLoads, reps, teamMembers, teams, type RepRow } from '../../db/schema/index.ts'

const live = isNull(reps.deletedAt)

export async function insertRep(db: Queryable, row: typeof reps.$inferInsert): Promise<RepRow> {
  const [inserted] = await db.insert(reps).values(row).returning()
  return inserted!
}

/**
 * A rep that has not been deleted. `lock: 'share'` keeps it from being deleted until the
 * caller's transaction ends (used when something new will point at it); `'update'` is for
 * the rep's own changes.
 */
export async function findLiveRep(db: Queryable, id: string, lock?: 'share' | 'update'): Promise<RepRow | undefined> {
  const query = db
    .select()
    .from(reps)
    .where(and(eq(reps.id, id), live))
  const [row] = lock === 'share' ? await query.for('share') : lock === 'update' ? await query.for('update') : await query
  return row
}

/** A live rep as events name one: id, name and email. */
export async function findRepRef(db: Queryable, id: string): Promise<{ id: string; name: string; email: string } | undefined> {
  const [row] = await db
    .select({ id: reps.id, name: reps.name, email: reps.email })
    .from(reps)
    .where(and(eq(reps.id, id), live))
  return row
}

/** Which of `ids` are live reps, locked against deletion for the rest of the transaction. */
export async function lockLiveReps(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db
    .select({ id: reps.id })
    .from(reps)
    .where(and(inArray(reps.id, ids), live))
    .for('share')
  return new Set(rows.map((r) => r.id))
}

export async function listReps(
  db: Queryable,
  { status, email, after, limit }: { status?: RepRow['status']; email?: string; after?: string; limit: number },
): Promise<RepRow[]> {
  const filters: SQL[] = [live]
  if (status) filters.push(eq(reps.status, status))
  if (email) filters.push(eq(reps.email, email))
  if (after) filters.push(gt(reps.id, after))
  return db
    .select()
    .from(reps)
    .where(and(...filters))
    .orderBy(asc(reps.id))
    .limit(limit + 1)
}

export async function updateRep(db: Queryable, id: string, changes: Partial<typeof reps.$inferInsert>): Promise<RepRow> {
  const [row] = await db.update(reps).set(changes).where(eq(reps.id, id)).returning()
  return row!
}

/** True when `repId` already stands above `managerId` in the management chain (or is it). */
export async function isInManagementChain(db: Queryable, managerId: string, repId: string): Promise<boolean> {
  const result = await db.execute<{ found: boolean }>(sql`
    with recursive chain(id, manager_id, depth) as (
      select id, manager_id, 1 from reps where id = ${managerId}
      union all
      select r.id, r.manager_id, c.depth + 1 from reps r join chain c on r.id = c.manager_id where c.depth < 1000
    )
    select exists(select 1 from chain where id = ${repId}) as found`)
  return result.rows[0]?.found === true
}

/** True when `managerId` manages the rep: as its managerId, or as the manager of a team the rep is a member of. */
export async function isManagedBy(db: Queryable, repId: string, managerId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: reps.id })
    .from(reps)
    .leftJoin(teamMembers, eq(teamMembers.repId, reps.id))
    .leftJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(and(eq(reps.id, repId), sql`(${reps.managerId} = ${managerId} or ${teams.managerId} = ${managerId})`))
    .limit(1)
  return row !== undefined
}

/** What still depends on a rep and would be orphaned by deleting it. */
export async function repDependents(db: Queryable, repId: string) {
  // One after another: inside a transaction they share one connection, which runs one query at a time.
  const [owned] = await db.select({ n: count() }).from(accounts).where(eq(accounts.ownerId, repId))
  const [reports] = await db
    .select({ n: count() })
    .from(reps)
    .where(and(eq(reps.managerId, repId), live))
  const [managed] = await db.select({ n: count() }).from(teams).where(eq(teams.managerId, repId))
  const [pending] = await db
    .select({ n: count() })
    .from(handoffs)
    .where(and(eq(handoffs.repId, repId), eq(handoffs.status, 'pending')))
  // Owned and still being worked: accepted (contacted or not), not yet converted or closed.
  const [open] = await db
    .select({ n: count() })
    .from(leads)
    .where(and(eq(leads.ownerId, repId), inArray(leads.status, ['accepted', 'contacted'])))
  return {
    ownedAccounts: owned?.n ?? 0,
    directReports: reports?.n ?? 0,
    managedTeams: managed?.n ?? 0,
    pendingOffers: pending?.n ?? 0,
    openLeads: open?.n ?? 0,
  }
}

/**
 * The deletion's lock on the rep: it keeps the rep from changing or being locked to receive
 * work (a reassign locks it FOR SHARE) until the deletion ends, yet lets rows that only point
 * at the rep (a handoff, a task: FOR KEY SHARE) be written meanwhile, so that a transaction
 * already giving the rep a lead can finish while the deletion waits for it (closeToNewLeads).
 */
export async function lockForDeletion(tx: Tx, id: string): Promise<RepRow | undefined> {
  const [row] = await tx
    .select()
    .from(reps)
    .where(and(eq(reps.id, id), live))
    .for('no key update')
  return row
}

/**
 * Routing's capacity claim (routing.repo.ts claimCapacity) updates the rep's load row and
 * refuses a deleted rep, but reads the rep as of the claim's start: a claim begun before
 * the deletion commits and queued behind it would still see the rep live. Deleting the load
 * row and writing it again unchanged turns every such claim away (PostgreSQL skips a row
 * deleted under a waiting UPDATE); a claim begun later sees the deletion. It also waits for
 * a claim already made, so the caller's next count sees that claim's handoff.
 */
export async function closeToNewLeads(tx: Tx, repId: string): Promise<void> {
  const [load] = await tx.delete(repLoads).where(eq(repLoads.repId, repId)).returning()
  if (load) await tx.insert(repLoads).values(load)
}

/** Takes the rep out of every team: no team routes to it any more. */
export async function leaveTeams(db: Queryable, repId: string): Promise<void> {
  await db.delete(teamMembers).where(eq(teamMembers.repId, repId))
}

/** Takes the rep out of every team and marks it deleted; the row stays for history. */
export async function softDeleteRep(db: Queryable, repId: string, at: Date): Promise<void> {
  await leaveTeams(db, repId)
  await db.update(reps).set({ deletedAt: at, updatedAt: at }).where(eq(reps.id, repId))
}

/** Whether a rep with this id was ever created (deleted reps still have stats). */
export async function repExists(db: Queryable, id: string): Promise<boolean> {
  const [row] = await db.select({ id: reps.id }).from(reps).where(eq(reps.id, id))
  return row !== undefined
}

/** The rep's manager, deleted or not: escalations go up from whoever last had the lead. */
export async function managerOf(db: Queryable, repId: string): Promise<string | null> {
  const [row] = await db.select({ managerId: reps.managerId }).from(reps).where(eq(reps.id, repId))
  return row?.managerId ?? null
}

/** Auto-away: the rep is set away, and their run of expiries starts again. */
export async function setAutoAway(tx: Tx, repId: string, at: Date): Promise<void> {
  await tx.update(reps).set({ status: 'away', awayUntil: null, updatedAt: at }).where(eq(reps.id, repId))
  await tx.execute(sql`update rep_answers set expired_in_row = 0 where rep_id = ${repId}`)
}

/** What the rep's working time is made of (their zone, windows and holidays), deleted or not. */
export async function scheduleOf(db: Queryable, repId: string): Promise<Schedule | undefined> {
  const [row] = await db
    .select({ timezone: reps.timezone, workingHours: reps.workingHours, holidays: reps.holidays })
    .from(reps)
    .where(eq(reps.id, repId))
  return row
}

/** Away reps whose awayUntil passed before `before`: what a lost rep-away-until job left away. */
export async function awayPastReturn(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: reps.id })
    .from(reps)
    .where(and(live, eq(reps.status, 'away'), lt(reps.awayUntil, before)))
    .orderBy(asc(reps.awayUntil))
    .limit(limit)
  return rows.map((row) => row.id)
}
