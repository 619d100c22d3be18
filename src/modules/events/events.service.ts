import type { EventRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { BadRequest, withFieldErrors } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { invalidCursor } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import * as repo from './events.repo.ts'
import { EVENT_TYPES, type Event, type EventFeedQuery, type EventType } from './events.schemas.ts'

/** Builds an event row for `appendEvents`: written in the same transaction as the change it records. */
export function newEvent(type: EventType, data: Record<string, unknown>, at: Date, leadId?: string): repo.NewEvent {
  return { id: newId(), type, data, createdAt: at, leadId: leadId ?? null }
}

/**
 * Who reads an event decides what it shows. `acceptLinks`: the reader may see lead.assigned's
 * one-click accept link. The link accepts as the rep without any other credential, so only
 * admins and the webhook endpoints an admin opted in (`includeAcceptLinks`) get it.
 */
export interface EventReader {
  acceptLinks: boolean
  /** A rep reading a lead's timeline: what other reps said (a decline's reason) and their emails are theirs. */
  repId?: string
}

/** The event as readers see it (GET /v1/events, the timeline, webhook bodies). */
export function toEvent(row: EventRow, reader: EventReader): Event {
  return { id: row.id, type: row.type, timestamp: row.createdAt.toISOString(), sequence: row.sequence, data: readableData(row, reader) }
}

function readableData(row: EventRow, reader: EventReader): Record<string, unknown> {
  const data = reader.repId ? forRep(row.data, reader.repId) : row.data
  if (reader.acceptLinks || row.type !== 'lead.assigned' || !('acceptUrl' in data)) return data
  const { acceptUrl: _link, ...rest } = data
  return rest
}

/**
 * An event about another rep's handoff, as a rep reads it: that the lead moved on, not why
 * (a decline's reason, the handoff's reason) nor how to reach them (their email).
 */
function forRep(data: Record<string, unknown>, repId: string): Record<string, unknown> {
  const rep = data.rep as { id?: string; name?: string } | undefined
  if (!rep || rep.id === repId) return data
  const { reason: _said, ...rest } = data
  const handoff = data.handoff as Record<string, unknown> | null | undefined
  return {
    ...rest,
    rep: { id: rep.id, name: rep.name },
    ...(handoff ? { handoff: { ...handoff, reason: null } } : {}),
  }
}

/** What a caller's role may read of events. */
export const readerFor = (principal: Pick<Principal, 'role' | 'repId'>): EventReader => ({
  acceptLinks: principal.role === 'admin',
  ...(principal.role === 'rep' && principal.repId ? { repId: principal.repId } : {}),
})

/** The durable event feed for integrators who poll instead of receiving webhooks. */
export function createEventsService({ db }: Pick<ServiceDeps, 'db'>) {
  return {
    async feed(query: EventFeedQuery, reader: EventReader) {
      const limit = query.limit ?? 100
      const { exact, prefixes } = parseTypes(query.types)
      const after = query.after === undefined ? undefined : decodeFeedCursor(query.after)
      const rows = await repo.readFeed(db, { limit, exact, prefixes, ...(after ? { after } : {}) })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      // With nothing new, hand back where the caller already is (or the feed's end), never null.
      const resumeAt = last ? { txid: last.txid, position: last.position } : (after ?? (await repo.feedEnd(db)))
      return { data: page.map((row) => toEvent(row, reader)), nextCursor: encodeFeedCursor(resumeAt), hasMore: rows.length > limit }
    },
  }
}

export type EventsService = ReturnType<typeof createEventsService>

const NAMESPACES = new Set(EVENT_TYPES.map((type) => type.split('.')[0]))

/** An event filter item: an exact type ("lead.qualified") or a namespace prefix ("lead.*"); undefined for neither. */
export function eventFilterKind(item: string): 'exact' | 'prefix' | undefined {
  if ((EVENT_TYPES as readonly string[]).includes(item)) return 'exact'
  if (item.endsWith('.*') && NAMESPACES.has(item.slice(0, -2))) return 'prefix'
  return undefined
}

/** "lead.qualified,handoff.*" → exact types and prefixes; anything unknown is a 400. */
export function parseTypes(types: string | undefined): { exact: string[]; prefixes: string[] } {
  const exact: string[] = []
  const prefixes: string[] = []
  for (const item of (types ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const kind = eventFilterKind(item)
    if (kind === 'exact') exact.push(item)
    else if (kind === 'prefix') prefixes.push(item.slice(0, -1))
    else {
      throw withFieldErrors(new BadRequest(`"${item}" is not an event type or a prefix such as lead.*`), [
        { in: 'query', pointer: '/types', detail: `"${item}" is not an event type` },
      ])
    }
  }
  return { exact, prefixes }
}

function encodeFeedCursor({ txid, position }: repo.FeedPosition): string {
  return Buffer.from(`${txid}.${position}`).toString('base64url')
}

function decodeFeedCursor(cursor: string): repo.FeedPosition {
  const match = /^(\d{1,19})\.(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw invalidCursor('after')
  return { txid: Number(match[1]), position: Number(match[2]) }
}
