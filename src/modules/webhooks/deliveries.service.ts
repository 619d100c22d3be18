import type { Tx } from '../../db/client.ts'
import type { DeliveryStatus } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, NotFound, invalidFields } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, encodeCursor } from '../../lib/pagination.ts'
import { queueAttempts, queueFirstAttempts } from './attempt-jobs.ts'
import * as repo from './deliveries.repo.ts'
import * as endpoints from './endpoints.repo.ts'
import type { Delivery, ListDeliveriesQuery, ReplayBody } from './deliveries.schemas.ts'

/** A replay re-sends at most this many deliveries; a larger window is asked for in parts. */
export const MAX_REPLAY = 10_000

/** Deliveries of webhook endpoints (admin): their history, a manual retry, a replay of a time window. */
export function createDeliveriesService({ db, boss, clock }: Pick<ServiceDeps, 'db' | 'boss' | 'clock'>) {
  async function enabledEndpoint(tx: Tx, id: string) {
    const endpoint = await endpoints.lockEndpoint(tx, id, 'share')
    if (!endpoint) throw new NotFound(`No webhook endpoint with id ${id}.`)
    if (!endpoint.enabled)
      throw new Conflict(
        `The webhook endpoint ${id} is disabled${endpoint.disabledReason ? ` (${endpoint.disabledReason})` : ''}: enable it first.`,
      )
    return endpoint
  }

  return {
    async list(endpointId: string, query: ListDeliveriesQuery) {
      const endpoint = await endpoints.findEndpoint(db, endpointId)
      if (!endpoint) throw new NotFound(`No webhook endpoint with id ${endpointId}.`)
      const limit = query.limit ?? 20
      const before = decodeCursor(query.cursor)
      const rows = await repo.listDeliveries(db, {
        endpointId,
        limit,
        ...(query.status ? { status: query.status } : {}),
        ...(before ? { before } : {}),
      })
      const page = rows.slice(0, limit)
      return { data: page.map(toDelivery), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.delivery.id) : null }
    },

    async get(id: string) {
      const found = await repo.findDelivery(db, id)
      if (!found) throw new NotFound(`No webhook delivery with id ${id}.`)
      return toDelivery(found)
    },

    /**
     * One attempt now, outside the automatic schedule. A pending delivery's waiting attempt
     * is replaced by it (its job finds itself overtaken); a finished one is tried once more.
     */
    async retry(id: string) {
      await db.transaction(async (tx) => {
        const delivery = await repo.lockDelivery(tx, id)
        if (!delivery) throw new NotFound(`No webhook delivery with id ${id}.`)
        await enabledEndpoint(tx, delivery.endpointId)
        const now = clock.now()
        const jobId = newId()
        await repo.awaitJob(tx, id, jobId, now)
        await queueAttempts(tx, boss, [{ jobId, deliveryId: id, delaySeconds: 0, manual: true }])
      })
      return this.get(id)
    },

    /**
     * Re-sends the endpoint's finished deliveries of a time window as new deliveries of
     * the same events: receivers see the original webhook-id and can dedupe.
     */
    async replay(endpointId: string, body: ReplayBody) {
      const now = clock.now()
      const since = new Date(body.since)
      const until = body.until ? new Date(body.until) : now
      if (since >= until)
        throw invalidFields('The replay window is empty.', [{ pointer: '/since', detail: 'must be before until (default: now)' }])
      const statuses: DeliveryStatus[] = body.status === 'failed' ? ['failed'] : ['succeeded', 'failed']
      return db.transaction(async (tx) => {
        await enabledEndpoint(tx, endpointId)
        const rows = await repo.insertReplays(tx, { endpointId, since, until, statuses, now, limit: MAX_REPLAY + 1 })
        if (rows.length > MAX_REPLAY) {
          throw invalidFields(`The window holds more than ${MAX_REPLAY} deliveries.`, [
            { pointer: '/until', detail: `narrow the window to at most ${MAX_REPLAY} deliveries` },
          ])
        }
        await queueFirstAttempts(tx, boss, rows)
        const deliveryIds = rows.map((r) => r.id)
        return { replayed: deliveryIds.length, deliveryIds }
      })
    },
  }
}

export type DeliveriesService = ReturnType<typeof createDeliveriesService>

function toDelivery({ delivery: d, eventType, attempts }: repo.DeliveryWithAttempts): Delivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType,
    status: d.status,
    attemptCount: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    lastError: d.lastError,
    replayOf: d.replayOf,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    attempts: attempts.map((a) => ({
      number: a.number,
      trigger: a.trigger,
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      errorClass: a.errorClass,
      error: a.error,
      responseBody: a.responseBody,
    })),
  }
}
