import { and, asc, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { events, type EventRow } from '../../db/schema/index.ts'

export type NewEvent = Pick<typeof events.$inferInsert, 'id' | 'type' | 'leadId' | 'data' | 'createdAt'>

/** Appends events in one statement, inside the caller's transaction. */
export async function appendEvents(db: Queryable, rows: NewEvent[]): Promise<void> {
  if (rows.length > 0) await db.insert(events).values(rows)
}

export interface FeedPosition {
  txid: number
  position: number
}

/**
 * Events after `after`, in (txid, position) order, limited to transactions older than
 * every transaction still in progress: what this returns can never be preceded later
 * by a late commit, so a cursor never skips an event.
 */
export async function readFeed(
  db: Queryable,
  { after, exact, prefixes, limit }: { after?: FeedPosition; exact: string[]; prefixes: string[]; limit: number },
): Promise<EventRow[]> {
  const filters: SQL[] = [sql`${events.txid} < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`]
  if (after) filters.push(sql`(${events.txid}, ${events.position}) > (${after.txid}, ${after.position})`)
  const typeFilters = [...(exact.length ? [inArray(events.type, exact)] : []), ...prefixes.map((p) => like(events.type, `${p}%`))]
  if (typeFilters.length) filters.push(or(...typeFilters)!)
  return db.select().from(events).where(and(...filters)).orderBy(asc(events.txid), asc(events.position)).limit(limit + 1)
}

/** The feed's current end: where a poller with no events yet should resume from. */
export async function feedEnd(db: Queryable): Promise<FeedPosition> {
  const result = await db.execute<{ txid: string; position: string }>(sql`
    select coalesce(max(txid), 0) as txid, coalesce(max(position), 0) as position from (
      select txid, position from ${events}
      where txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
      order by txid desc, position desc limit 1) last`)
  const row = result.rows[0]
  return { txid: Number(row?.txid ?? 0), position: Number(row?.position ?? 0) }
}

/** Every event of one lead, in the order they happened. */
export async function leadEvents(db: Queryable, leadId: string): Promise<EventRow[]> {
  return db.select().from(events).where(eq(events.leadId, leadId)).orderBy(asc(events.txid), asc(events.position))
}
