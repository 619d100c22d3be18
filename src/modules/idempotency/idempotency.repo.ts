import { and, eq, gte, lt, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { idempotencyKeys } from '../../db/schema/index.ts'

const LOCK_NAMESPACE = 7315

/**
 * The key's lock for the rest of the transaction, if nobody holds it; false at once when
 * another request with the key is still running. A newline can be in neither the scope
 * nor the key, so it keeps the pair unambiguous.
 */
export async function tryKeyLock(tx: Tx, scope: string, key: string): Promise<boolean> {
  const { rows } = await tx.execute<{ locked: boolean }>(
    sql`select pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${`${scope}\n${key}`})) as locked`,
  )
  return rows[0]?.locked === true
}

/** The answer stored for the key, if it was used at or after `since`. */
export async function findKey(tx: Tx, scope: string, key: string, since: Date): Promise<typeof idempotencyKeys.$inferSelect | undefined> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), gte(idempotencyKeys.createdAt, since)))
  return row
}

/** Stores the answer; a key older than its lifetime (not yet swept) is overwritten. */
export async function storeKey(tx: Tx, row: typeof idempotencyKeys.$inferInsert): Promise<void> {
  await tx
    .insert(idempotencyKeys)
    .values(row)
    .onConflictDoUpdate({
      target: [idempotencyKeys.scope, idempotencyKeys.key],
      set: { fingerprint: row.fingerprint, status: row.status, body: row.body, createdAt: row.createdAt },
    })
}

/** Deletes keys used before `before`; how many. */
export async function deleteKeysBefore(db: Queryable, before: Date): Promise<number> {
  const deleted = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before)).returning({ key: idempotencyKeys.key })
  return deleted.length
}
