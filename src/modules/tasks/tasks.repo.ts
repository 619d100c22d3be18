import { and, asc, eq, gt, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { tasks, type TaskRow, type TaskStatus } from '../../db/schema/index.ts'

export async function insertTask(db: Queryable, row: typeof tasks.$inferInsert): Promise<TaskRow> {
  const [inserted] = await db.insert(tasks).values(row).returning()
  return inserted!
}

export async function lockTask(tx: Tx, id: string): Promise<TaskRow | undefined> {
  const [row] = await tx.select().from(tasks).where(eq(tasks.id, id)).for('update')
  return row
}

/** The task's lead, read before locking: a change to a lead and its tasks locks the lead first. */
export async function leadOfTask(db: Queryable, id: string): Promise<string | undefined> {
  const [row] = await db.select({ leadId: tasks.leadId }).from(tasks).where(eq(tasks.id, id))
  return row?.leadId
}

export async function updateTask(tx: Tx, id: string, changes: Partial<typeof tasks.$inferInsert>): Promise<TaskRow> {
  const [row] = await tx.update(tasks).set(changes).where(eq(tasks.id, id)).returning()
  return row!
}

/** The lead's open tasks, locked. */
export async function lockOpenTasks(tx: Tx, leadId: string): Promise<TaskRow[]> {
  return tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.leadId, leadId), eq(tasks.status, 'open')))
    .for('update')
}

/**
 * Open tasks whose timer is more than due: the overdue event not yet out (partial index
 * tasks_overdue_unannounced_idx), or the reassign time passed (tasks_reassign_due_idx);
 * what a lost contact-overdue job left behind, most overdue first.
 */
export async function tasksPastTimer(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const unannounced = and(isNull(tasks.overdueAt), lt(tasks.dueAt, before))
  const rows = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.status, 'open'), or(unannounced, lt(tasks.reassignAt, before))))
    .orderBy(sql`case when ${tasks.overdueAt} is null then ${tasks.dueAt} else ${tasks.reassignAt} end`)
    .limit(limit)
  return rows.map((row) => row.id)
}

/** Oldest first (ids are UUIDv7), after `after` when paging. */
export async function listTasks(
  db: Queryable,
  { repId, status, dueBefore, after, limit }: { repId?: string; status?: TaskStatus; dueBefore?: Date; after?: string; limit: number },
): Promise<TaskRow[]> {
  const filters: SQL[] = []
  if (repId) filters.push(eq(tasks.repId, repId))
  if (status) filters.push(eq(tasks.status, status))
  if (dueBefore) filters.push(lt(tasks.dueAt, dueBefore))
  if (after) filters.push(gt(tasks.id, after))
  return db
    .select()
    .from(tasks)
    .where(and(...filters))
    .orderBy(asc(tasks.id))
    .limit(limit + 1)
}
