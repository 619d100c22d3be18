import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import {
  events, webhookAttempts, webhookDeliveries, webhookEndpoints, type DeliveryStatus, type WebhookAttemptRow, type WebhookDeliveryRow,
} from '../../db/schema/index.ts'

/** Deliveries with their endpoint and event, as an attempt needs them: one query for a batch. */
export async function loadForAttempt(db: Queryable, deliveryIds: string[]) {
  return db.select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, event: events })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(inArray(webhookDeliveries.id, deliveryIds))
}

export type LoadedDelivery = Awaited<ReturnType<typeof loadForAttempt>>[number]

export interface DeliveryChange {
  id: string
  /** The job that made the attempt: the change applies only while it is still the delivery's next one. */
  jobId: string
  status: DeliveryStatus
  attempted: boolean
  scheduleStep: number
  nextAttemptAt: Date | null
  nextJobId: string | null
  lastError: string | null
}

/**
 * Applies a batch's outcomes in one statement. A delivery whose next job changed
 * meanwhile (a manual retry took over) is left alone; the ids changed come back.
 */
export async function applyChanges(tx: Tx, changes: DeliveryChange[], now: Date): Promise<Set<string>> {
  if (changes.length === 0) return new Set()
  const input = JSON.stringify(changes.map((c) => ({
    id: c.id, job_id: c.jobId, status: c.status, attempted: c.attempted, schedule_step: c.scheduleStep,
    next_attempt_at: c.nextAttemptAt, next_job_id: c.nextJobId, last_error: c.lastError,
  })))
  const { rows } = await tx.execute<{ id: string }>(sql`
    update webhook_deliveries d set
      status = x.status, attempts = d.attempts + (case when x.attempted then 1 else 0 end), schedule_step = x.schedule_step,
      next_attempt_at = x.next_attempt_at, next_job_id = x.next_job_id, last_error = x.last_error, updated_at = ${now}
    from jsonb_to_recordset(${input}::jsonb) as x(id uuid, job_id uuid, status text, attempted boolean, schedule_step int,
      next_attempt_at timestamptz, next_job_id uuid, last_error text)
    where d.id = x.id and d.next_job_id = x.job_id
    returning d.id`)
  return new Set(rows.map((r) => r.id))
}

export async function insertAttempts(tx: Tx, rows: Array<typeof webhookAttempts.$inferInsert>): Promise<void> {
  if (rows.length > 0) await tx.insert(webhookAttempts).values(rows)
}

/** One endpoint's deliveries, newest first, with their attempts. */
export async function listDeliveries(
  db: Queryable,
  { endpointId, status, before, limit }: { endpointId: string; status?: DeliveryStatus; before?: string; limit: number },
) {
  const rows = await db.select({ delivery: webhookDeliveries, eventType: events.type })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(and(
      eq(webhookDeliveries.endpointId, endpointId),
      status ? eq(webhookDeliveries.status, status) : undefined,
      before ? lt(webhookDeliveries.id, before) : undefined,
    ))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1)
  const attempts = await attemptsOf(db, rows.slice(0, limit).map((r) => r.delivery.id))
  return rows.map((r) => ({ ...r, attempts: attempts.get(r.delivery.id) ?? [] }))
}

export async function findDelivery(db: Queryable, id: string) {
  const [row] = await db.select({ delivery: webhookDeliveries, eventType: events.type })
    .from(webhookDeliveries).innerJoin(events, eq(events.id, webhookDeliveries.eventId)).where(eq(webhookDeliveries.id, id))
  if (!row) return undefined
  return { ...row, attempts: (await attemptsOf(db, [id])).get(id) ?? [] }
}

async function attemptsOf(db: Queryable, deliveryIds: string[]): Promise<Map<string, WebhookAttemptRow[]>> {
  const byDelivery = new Map<string, WebhookAttemptRow[]>()
  if (deliveryIds.length === 0) return byDelivery
  const rows = await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, deliveryIds)).orderBy(webhookAttempts.deliveryId, webhookAttempts.number)
  for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row])
  return byDelivery
}

export type DeliveryWithAttempts = { delivery: WebhookDeliveryRow; eventType: string; attempts: WebhookAttemptRow[] }
