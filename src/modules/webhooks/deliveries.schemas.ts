import { Type, type Static } from '@sinclair/typebox'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const Attempt = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  trigger: Type.Union([Type.Literal('scheduled'), Type.Literal('manual')]),
  attemptedAt: Timestamp,
  statusCode: Nullable(Type.Integer({ description: "The receiver's HTTP status; null when no answer came" })),
  latencyMs: Type.Integer({ minimum: 0 }),
  errorClass: Nullable(
    Type.Union(
      ['dns', 'connect', 'tls', 'timeout', 'http'].map((c) => Type.Literal(c)),
      {
        description:
          'dns: the host did not resolve or resolved to a refused address; connect: refused or reset; tls: the certificate or ' +
          'handshake failed; timeout: no complete answer in time; http: an answer other than 2xx (3xx is not followed)',
      },
    ),
  ),
  error: Nullable(Type.String()),
  responseBody: Nullable(Type.String({ description: 'The first 4 KB of the answer' })),
})

export const Delivery = Type.Object(
  {
    id: Uuid,
    endpointId: Uuid,
    eventId: Type.String({ description: 'Also the webhook-id header: the same on every attempt and every replay' }),
    eventType: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attemptCount: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(Timestamp),
    lastError: Nullable(Type.String()),
    replayOf: Nullable(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    attempts: Type.Array(Attempt),
  },
  { $id: 'WebhookDelivery' },
)
export type Delivery = Static<typeof Delivery>

export const ListDeliveriesQuery = Type.Object(
  {
    ...PageQuery,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])),
  },
  { additionalProperties: false },
)
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuery>

export const ReplayBody = Type.Object(
  {
    since: Type.String({ format: 'date-time', description: "Re-send this endpoint's deliveries made at or after this time" }),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'and before this one (default: now)' })),
    status: Type.Optional(
      Type.Union([Type.Literal('failed'), Type.Literal('any')], { default: 'any', description: 'failed: only deliveries that gave up' }),
    ),
  },
  { additionalProperties: false },
)
export type ReplayBody = Static<typeof ReplayBody>

export const ReplayAnswer = Type.Object({
  replayed: Type.Integer({ minimum: 0, description: "New deliveries queued, each with its event's original webhook-id" }),
  deliveryIds: Type.Array(Uuid),
})
