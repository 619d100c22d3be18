import { Type, type Static } from '@sinclair/typebox'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'http(s); non-public addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true',
})
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  maxItems: 50,
  description: 'Exact types ("lead.assigned") and prefixes ("lead.*"); empty: every event',
})
const Description = Type.String({ maxLength: 500 })
const IncludeAcceptLinks = Type.Boolean({
  description: "This receiver can accept as any rep: it receives each lead.assigned event's one-click accept link. Off by default.",
})

export const CreateEndpointBody = Type.Object(
  {
    url: Url,
    kind: Type.Optional(
      Type.Union([Type.Literal('standard'), Type.Literal('slack')], {
        default: 'standard',
        description: 'standard: signed Standard Webhooks; slack: a Slack incoming-webhook URL',
      }),
    ),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
    includeAcceptLinks: Type.Optional({ ...IncludeAcceptLinks, default: false }),
  },
  { additionalProperties: false },
)
export type CreateEndpointBody = Static<typeof CreateEndpointBody>

export const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    includeAcceptLinks: Type.Optional(IncludeAcceptLinks),
  },
  { additionalProperties: false },
)
export type UpdateEndpointBody = Static<typeof UpdateEndpointBody>

export const RotateBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600, default: 86_400, description: 'How long the old secret keeps signing too' }),
    ),
  },
  { additionalProperties: false },
)

export const Endpoint = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    kind: Type.Union([Type.Literal('standard'), Type.Literal('slack')]),
    description: Type.Union([Type.String(), Type.Null()]),
    eventTypes: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    includeAcceptLinks: IncludeAcceptLinks,
    disabledReason: Type.Union([Type.String(), Type.Null()]),
    failingSince: Type.Union([Timestamp, Type.Null()], {
      description: 'The first failed attempt since the last success; after 5 days of failures the endpoint is disabled',
    }),
    secretsActive: Type.Integer({ description: "Secrets signing deliveries now: 2 during a rotation's grace period" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'WebhookEndpoint' },
)
export type Endpoint = Static<typeof Endpoint>

export const EndpointWithSecret = Type.Composite([
  Endpoint,
  Type.Object({ secret: Type.String({ description: 'whsec_…: shown only now; verify deliveries with it' }) }),
])

export const ListEndpointsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export type ListEndpointsQuery = Static<typeof ListEndpointsQuery>
