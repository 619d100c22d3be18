import { and, asc, eq, gt, isNull, lt, type SQL } from 'drizzle-orm'
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
 * Open tasks due before `before` whose overdue event has not gone out, most overdue first:
 * what a lost contact-overdue job left unannounced (partial index tasks_overdue_unannounced_idx).
 */
export async function overdueUnannounced(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.status, 'open'), isNull(tasks.overdueAt), lt(tasks.dueAt, before)))
    .orderBy(asc(tasks.dueAt))
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
