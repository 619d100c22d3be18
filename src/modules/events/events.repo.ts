import { and, asc, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm'
import { prepared } from '../../db/prepared.ts'
import { onCommit, type Queryable, type Tx } from '../../db/client.ts'
import { events, type EventRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { queueFirstAttempts } from '../webhooks/attempt-jobs.ts'
import { fanOutDeliveries, type MadeDelivery } from '../webhooks/deliveries.repo.ts'
import { fanOutNotifications } from '../notifications/fan-out.ts'

export type NewEvent = Pick<typeof events.$inferInsert, 'id' | 'type' | 'leadId' | 'data' | 'createdAt'>

/** What appending events needs besides the transaction: the job queue for deliveries, the log. */
export type EventSink = Pick<ServiceDeps, 'boss' | 'logger'>

const appendQuery = prepared.sql<MadeDelivery>(
  () => sql`
  with input as (
    select * from jsonb_to_recordset(${sql.placeholder('input')}::jsonb)
      as x(ord int, id uuid, type text, lead_id uuid, data jsonb, created_at timestamptz)
  ), numbered as (
    update leads l set event_seq = l.event_seq + p.n
    from unnest(${sql.placeholder('leadIds')}::uuid[], ${sql.placeholder('counts')}::int[]) as p(lead_id, n)
    where l.id = any(${sql.placeholder('leadIds')}::uuid[]) and l.id = p.lead_id
    returning l.id, l.event_seq - p.n as base
  ), written as (
    insert into events (id, type, lead_id, data, created_at, sequence)
    select i.id, i.type, i.lead_id, i.data, i.created_at, n.base + row_number() over (partition by i.lead_id order by i.ord)
    from input i left join numbered n on n.id = i.lead_id
    order by i.ord
    returning id, type, created_at
  )${fanOutDeliveries('written')}`,
)

/**
 * Appends events inside the caller's transaction, and with them their webhook deliveries:
 * one statement numbers each event among its lead's events (taking the lead's row lock,
 * so concurrent writers to one lead get consecutive numbers), writes the events, and
 * ends with the webhooks' fan-out (deliveries.repo.ts); then the deliveries' first attempts
 * are queued, and the reps' notifications written (notifications/fan-out.ts). All of it exists if and only if the
 * transaction commits: a rolled-back change sends nothing.
 */
export async function appendEvents(tx: Tx, { boss, logger }: EventSink, rows: NewEvent[]): Promise<void> {
  if (rows.length === 0) return
  const input = JSON.stringify(
    rows.map((r, ord) => ({ ord, id: r.id, type: r.type, lead_id: r.leadId ?? null, data: r.data, created_at: r.createdAt })),
  )
  const perLead = new Map<string, number>()
  for (const { leadId } of rows) if (leadId) perLead.set(leadId, (perLead.get(leadId) ?? 0) + 1)
  // The leads to number come as arrays with `= any(...)`: the planner then reads them by
  // primary key (a join to the JSON input, estimated at 100 rows, chose a scan of every lead).
  const leadIds = [...perLead.keys()]
  const deliveries = await appendQuery(tx, { input, leadIds, counts: [...perLead.values()] })
  await queueFirstAttempts(tx, boss, deliveries)
  await fanOutNotifications(tx, boss, rows)
  // One info line per event, once it has happened: ids only, never the lead's details.
  onCommit(tx, () => {
    for (const { id, type, leadId, data } of rows) {
      const handoffId = (data as { handoff?: { id?: string } | null }).handoff?.id
      logger.info({ event: type, eventId: id, ...(leadId ? { leadId } : {}), ...(handoffId ? { handoffId } : {}) }, 'event')
    }
  })
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
  return db
    .select()
    .from(events)
    .where(and(...filters))
    .orderBy(asc(events.txid), asc(events.position))
    .limit(limit + 1)
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
