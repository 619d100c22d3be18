import { asc, eq, gt, inArray } from 'drizzle-orm'
import type { Queryable, Tx } from '../../db/client.ts'
import { webhookEndpoints, type WebhookEndpointRow } from '../../db/schema/index.ts'

type NewEndpoint = typeof webhookEndpoints.$inferInsert
type EndpointChanges = Partial<Omit<NewEndpoint, 'id' | 'createdAt'>>

export async function findEndpoint(db: Queryable, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id))
  return row
}

/**
 * The endpoint, locked until the transaction ends: `share` while deliveries are made for it
 * (a retry, a replay), `update` while its secrets change.
 */
export async function lockEndpoint(tx: Tx, id: string, mode: 'share' | 'update'): Promise<WebhookEndpointRow | undefined> {
  const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for(mode)
  return row
}

/**
 * Endpoints whose health an attempt batch may change, locked in id order (batches never wait
 * on each other in a cycle). `no key update`: deliveries being made for them are not held up.
 */
export async function lockEndpointsForHealth(tx: Tx, ids: string[]): Promise<Map<string, WebhookEndpointRow>> {
  const rows = await tx
    .select()
    .from(webhookEndpoints)
    .where(inArray(webhookEndpoints.id, ids))
    .orderBy(webhookEndpoints.id)
    .for('no key update')
  return new Map(rows.map((row) => [row.id, row]))
}

export async function insertEndpoint(db: Queryable, row: NewEndpoint): Promise<WebhookEndpointRow> {
  const [inserted] = await db.insert(webhookEndpoints).values(row).returning()
  return inserted!
}

/** By id, after `after` when paging; one more than `limit`, so the caller knows whether a next page exists. */
export async function listEndpoints(db: Queryable, { after, limit }: { after?: string; limit: number }): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(after ? gt(webhookEndpoints.id, after) : undefined)
    .orderBy(asc(webhookEndpoints.id))
    .limit(limit + 1)
}

export async function updateEndpoint(db: Queryable, id: string, changes: EndpointChanges): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning()
  return row
}

export async function deleteEndpoint(db: Queryable, id: string): Promise<void> {
  await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id))
}
