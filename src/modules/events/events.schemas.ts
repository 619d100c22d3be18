import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from '../../lib/schemas.ts'

/** Every event type of SPEC "Events"; each is one row in `events` and one webhook. */
export const EVENT_TYPES = [
  'lead.received',
  'lead.duplicate',
  'lead.scored',
  'lead.qualified',
  'lead.disqualified',
  'lead.nurtured',
  'lead.assigned',
  'lead.unroutable',
  'handoff.accepted',
  'handoff.declined',
  'handoff.expired',
  'handoff.reminder',
  'handoff.withdrawn',
  'lead.rerouted',
  'lead.escalated',
  'lead.reassigned',
  'task.created',
  'task.completed',
  'lead.contacted',
  'lead.contact_overdue',
  'lead.converted',
  'lead.won',
  'lead.lost',
  'lead.closed',
  'rep.auto_away',
  'rep.away',
  'rep.available',
  'webhook_endpoint.disabled',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

export const Event = Type.Object(
  {
    id: Uuid,
    type: Type.String(),
    timestamp: Timestamp,
    sequence: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description:
        "The event's place among its lead's events (1, 2, 3…): deliveries may arrive out of order or twice, so receivers order and " +
        'dedupe by it. Null for events about no lead.',
    }),
    data: Type.Object(
      {},
      { additionalProperties: true, description: '{lead, handoff?, rep?, rule?, …}: snapshots at the time of the event' },
    ),
  },
  { $id: 'Event' },
)
export type Event = Static<typeof Event>

export const EventFeedQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The nextCursor of the previous page; absent: from the beginning' }),
    ),
    types: Type.Optional(Type.String({ maxLength: 2000, description: 'Comma-separated types or prefixes: lead.qualified,handoff.*' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
)
export type EventFeedQuery = Static<typeof EventFeedQuery>

export const EventFeed = Type.Object({
  data: Type.Array(Event),
  nextCursor: Type.String({ description: 'Pass as `after` to continue; always present, so a poller can resume from the end' }),
  hasMore: Type.Boolean(),
})
