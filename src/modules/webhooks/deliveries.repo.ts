import { and, desc, eq, getTableColumns, inArray, lt, sql, type Column, type SQL } from 'drizzle-orm'
import { prepared, type Selection } from '../../db/prepared.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import {
  events,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  type DeliveryStatus,
  type EventRow,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from '../../db/schema/index.ts'
import { openSecret } from '../../lib/secret-box.ts'
import { DELIVERY_QUEUE, LEGACY_DELIVERY_QUEUE } from './attempt-jobs.ts'
import { DELIVERIES_PER_JOB } from './throughput.ts'

// Every statement of an attempt batch is built once, its ids passed as one array: an IN list
// is a new text (and a new plan) for every batch size, and drizzle rebuilt each one per batch.
const anyOf = (column: Column) => sql`${column} = any(${sql.placeholder('ids')}::uuid[])`

export type LoadedDelivery = { delivery: WebhookDeliveryRow; endpoint: WebhookEndpointRow; event: EventRow }

const loadQuery = prepared.query<LoadedDelivery, Selection>(
  { delivery: getTableColumns(webhookDeliveries), endpoint: getTableColumns(webhookEndpoints), event: getTableColumns(events) },
  (db, returns) =>
    db
      .select(returns)
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .where(anyOf(webhookDeliveries.id)),
)

/**
 * Deliveries with their endpoint and event, as an attempt needs them: one query for a batch.
 * The endpoint's secrets come opened, ready to sign with (each is opened once per process,
 * then served from secret-box's cache); `open` is the process's keyring unless given.
 */
export async function loadForAttempt(
  db: Queryable,
  deliveryIds: string[],
  open: (stored: string) => string = openSecret,
): Promise<LoadedDelivery[]> {
  const rows = await loadQuery(db, { ids: deliveryIds })
  for (const row of rows) row.endpoint.secrets = row.endpoint.secrets.map((s) => ({ ...s, secret: open(s.secret) }))
  return rows
}

type LockedDelivery = { id: string; attempts: number; nextJobId: string | null }
const lockQuery = prepared.query<LockedDelivery>(
  { id: webhookDeliveries.id, attempts: webhookDeliveries.attempts, nextJobId: webhookDeliveries.nextJobId },
  (db, returns) =>
    db.select(returns).from(webhookDeliveries).where(anyOf(webhookDeliveries.id)).orderBy(webhookDeliveries.id).for('update'),
)

/** Locks a batch's deliveries (in id order, so batches never wait on each other in a cycle) and reads where they stand. */
export async function lockDeliveries(tx: Tx, ids: string[]): Promise<Map<string, { attempts: number; nextJobId: string | null }>> {
  const rows = await lockQuery(tx, { ids })
  return new Map(rows.map((r) => [r.id, { attempts: r.attempts, nextJobId: r.nextJobId }]))
}

export interface DeliveryChange {
  id: string
  attempts: number
  /** Absent for an attempt overtaken by a manual retry: it counts, but the delivery's state is the retry's to set. */
  state?: { status: DeliveryStatus; scheduleStep: number; nextAttemptAt: Date | null; nextJobId: string | null; lastError: string | null }
}

// The ids also as an array for `= any()`: joined to the JSON alone (estimated at 100 rows)
// the planner scanned every delivery, a cost that grows with the table.
const applyQuery = prepared.sql(
  () => sql`
  update webhook_deliveries d set
    attempts = x.attempts,
    status = case when x.keep then d.status else x.status end,
    schedule_step = case when x.keep then d.schedule_step else x.schedule_step end,
    next_attempt_at = case when x.keep then d.next_attempt_at else x.next_attempt_at end,
    next_job_id = case when x.keep then d.next_job_id else x.next_job_id end,
    last_error = case when x.keep then d.last_error else x.last_error end,
    updated_at = ${sql.placeholder('now')}::timestamptz
  from jsonb_to_recordset(${sql.placeholder('input')}::jsonb) as x(id uuid, attempts int, keep boolean, status text, schedule_step int,
    next_attempt_at timestamptz, next_job_id uuid, last_error text)
  where d.id = any(${sql.placeholder('ids')}::uuid[]) and d.id = x.id`,
)

/** Applies a batch's outcomes to its locked deliveries in one statement. */
export async function applyChanges(tx: Tx, changes: DeliveryChange[], now: Date): Promise<void> {
  if (changes.length === 0) return
  const input = JSON.stringify(
    changes.map(({ id, attempts, state }) => ({
      id,
      attempts,
      keep: !state,
      status: state?.status,
      schedule_step: state?.scheduleStep,
      next_attempt_at: state?.nextAttemptAt,
      next_job_id: state?.nextJobId,
      last_error: state?.lastError,
    })),
  )
  await applyQuery(tx, { now, input, ids: changes.map((c) => c.id) })
}

// Column by column as arrays, not as JSON: a response body is whatever the receiver sent.
const insertAttemptsQuery = prepared.sql(
  () => sql`
  insert into webhook_attempts (id, delivery_id, number, trigger, attempted_at, status_code, latency_ms, error_class, error, response_body)
  select * from unnest(${sql.placeholder('id')}::uuid[], ${sql.placeholder('deliveryId')}::uuid[], ${sql.placeholder('number')}::int[],
    ${sql.placeholder('trigger')}::text[], ${sql.placeholder('attemptedAt')}::timestamptz[], ${sql.placeholder('statusCode')}::int[],
    ${sql.placeholder('latencyMs')}::int[], ${sql.placeholder('errorClass')}::text[], ${sql.placeholder('error')}::text[],
    ${sql.placeholder('responseBody')}::text[])`,
)

export async function insertAttempts(tx: Tx, rows: Array<typeof webhookAttempts.$inferInsert>): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof typeof webhookAttempts.$inferInsert>(key: K) => rows.map((row) => row[key] ?? null)
  await insertAttemptsQuery(tx, {
    id: column('id'),
    deliveryId: column('deliveryId'),
    number: column('number'),
    trigger: column('trigger'),
    attemptedAt: column('attemptedAt'),
    statusCode: column('statusCode'),
    latencyMs: column('latencyMs'),
    errorClass: column('errorClass'),
    error: column('error'),
    responseBody: column('responseBody'),
  })
}

/** One endpoint's deliveries, newest first, with their attempts. */
export async function listDeliveries(
  db: Queryable,
  { endpointId, status, before, limit }: { endpointId: string; status?: DeliveryStatus; before?: string; limit: number },
) {
  const rows = await db
    .select({ delivery: webhookDeliveries, eventType: events.type })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        status ? eq(webhookDeliveries.status, status) : undefined,
        before ? lt(webhookDeliveries.id, before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1)
  const attempts = await attemptsOf(
    db,
    rows.slice(0, limit).map((r) => r.delivery.id),
  )
  return rows.map((r) => ({ ...r, attempts: attempts.get(r.delivery.id) ?? [] }))
}

export async function findDelivery(db: Queryable, id: string) {
  const [row] = await db
    .select({ delivery: webhookDeliveries, eventType: events.type })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, id))
  if (!row) return undefined
  return { ...row, attempts: (await attemptsOf(db, [id])).get(id) ?? [] }
}

async function attemptsOf(db: Queryable, deliveryIds: string[]): Promise<Map<string, WebhookAttemptRow[]>> {
  const byDelivery = new Map<string, WebhookAttemptRow[]>()
  if (deliveryIds.length === 0) return byDelivery
  const rows = await db
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, deliveryIds))
    .orderBy(webhookAttempts.deliveryId, webhookAttempts.number)
  for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row])
  return byDelivery
}

export type DeliveryWithAttempts = { delivery: WebhookDeliveryRow; eventType: string; attempts: WebhookAttemptRow[] }

// Statements that make deliveries group them into chunks of DELIVERIES_PER_JOB, in the
// window's order, and give each chunk one job id, made once per chunk: the deliveries take
// it as next_job_id, and queueFirstAttempts makes one job per id.
const jobChunk = (order: SQL = sql``) => sql`(row_number() over (${order}) - 1) / ${sql.raw(String(DELIVERIES_PER_JOB))}`
const chunkJobIds = (rows: string) =>
  sql`select chunk, baton_uuidv7() as job_id from (select distinct chunk from ${sql.identifier(rows)}) c`

/** A new delivery and the job of its first attempt. */
export type MadeDelivery = { id: string; jobId: string }

/**
 * The fan-out, as the CTEs that end a statement writing events (`written`: a CTE with id,
 * type and created_at): one pending delivery per enabled endpoint whose filter matches each
 * event, returning the deliveries. events.repo's appendEvents ends its statement with it, so
 * events and their deliveries cost one round trip.
 */
export const fanOutDeliveries = (written: string) => sql`
  , matched as (
    select e.id as endpoint_id, w.id as event_id, w.created_at, ${jobChunk()} as chunk
    from ${sql.identifier(written)} w join webhook_endpoints e on e.enabled and (
      jsonb_array_length(e.event_types) = 0 or e.event_types ? w.type or e.event_types ? (split_part(w.type, '.', 1) || '.*'))
  ), jobs as materialized (${chunkJobIds('matched')})
  insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
  select baton_uuidv7(), m.endpoint_id, m.event_id, 'pending', j.job_id, m.created_at, m.created_at, m.created_at
  from matched m join jobs j on j.chunk = m.chunk
  returning id, next_job_id as "jobId"`

/**
 * New deliveries of the same events for the endpoint's finished deliveries of a window, at
 * most `limit` (the caller asks for one more to tell a window too large); first attempts in
 * shared jobs, as appendEvents makes them.
 */
export async function insertReplays(
  tx: Tx,
  {
    endpointId,
    since,
    until,
    statuses,
    now,
    limit,
  }: { endpointId: string; since: Date; until: Date; statuses: DeliveryStatus[]; now: Date; limit: number },
): Promise<MadeDelivery[]> {
  const { rows } = await tx.execute<MadeDelivery>(sql`
    with picked as (
      select d.*, ${jobChunk(sql`order by d.id`)} as chunk from (
        select * from webhook_deliveries
        where endpoint_id = ${endpointId} and replay_of is null and created_at >= ${since} and created_at < ${until}
          and status = any(${sql.param(statuses)}::text[])
        order by id limit ${limit}
      ) d
    ), jobs as materialized (${chunkJobIds('picked')})
    insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, replay_of, created_at, updated_at)
    select baton_uuidv7(), p.endpoint_id, p.event_id, 'pending', j.job_id, ${now}, p.id, ${now}, ${now}
    from picked p join jobs j on j.chunk = p.chunk
    order by p.id
    returning id, next_job_id as "jobId"`)
  return rows
}

/** The delivery, locked until the transaction ends. */
export async function lockDelivery(tx: Tx, id: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).for('update')
  return row
}

/** Pending again, waiting for the job `jobId` (a manual retry): any job queued before finds itself overtaken. */
export async function awaitJob(tx: Tx, id: string, jobId: string, now: Date): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ status: 'pending', nextJobId: jobId, nextAttemptAt: now, updatedAt: now })
    .where(eq(webhookDeliveries.id, id))
}

/** A delivery due this long ago whose job has ended is not merely late. */
export const STUCK_AFTER_MS = 15 * 60 * 1000
/** Deliveries one sweep looks at, at most; the next sweep takes the rest. */
const STUCK_SWEEP_LIMIT = 1000

/**
 * Fails the deliveries still pending whose next job has ended without deciding them: it failed
 * past its retries (a batch that kept failing), or is gone. They said nothing and stayed pending
 * for good; failed, with the reason, they show in the API and the metrics, and a retry or a
 * replay sends them. A job still waiting, running or due for a retry is left to run.
 */
export async function failStuckDeliveries(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.execute<{ id: string }>(sql`
    update webhook_deliveries d set
      status = 'failed', next_job_id = null, next_attempt_at = null, updated_at = ${now},
      last_error = 'its attempt job ended without deciding it (' || coalesce(s.job_state, 'gone') || '); retry or replay it'
    from (
      select p.id, j.state::text as job_state from webhook_deliveries p
      left join pgboss.job j on j.name = any(${sql.param([DELIVERY_QUEUE, LEGACY_DELIVERY_QUEUE])}::text[]) and j.id = p.next_job_id
      where p.status = 'pending' and p.next_attempt_at < ${new Date(now.getTime() - STUCK_AFTER_MS)}
        and (j.id is null or j.state::text in ('completed', 'cancelled', 'failed'))
      order by p.next_attempt_at limit ${STUCK_SWEEP_LIMIT}
      for update of p skip locked
    ) s
    where d.id = s.id
    returning d.id`)
  return rows.map((r) => r.id)
}
