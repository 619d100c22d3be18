import { Type, type Static } from '@sinclair/typebox'
import { Email, Name, PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

const TimeOfDay = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'HH:MM, 24-hour; 24:00 ends a day' })
const Window = Type.Object({ start: TimeOfDay, end: TimeOfDay }, { additionalProperties: false })
const Day = Type.Optional(Type.Array(Window, { maxItems: 6 }))

/** Weekly working windows in the rep's own time zone. A missing day is a day off. */
export const WorkingHours = Type.Object(
  { mon: Day, tue: Day, wed: Day, thu: Day, fri: Day, sat: Day, sun: Day },
  { additionalProperties: false, description: 'Absent or null: always working' },
)

const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, uniqueItems: true })
export const RepAttributes = Type.Object(
  {
    territories: Type.Optional(Tags),
    industries: Type.Optional(Tags),
    segments: Type.Optional(Tags),
    products: Type.Optional(Tags),
    languages: Type.Optional(Tags),
  },
  { additionalProperties: false, description: 'What routing rules can match this rep on' },
)

const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 })
const EmailTarget = Type.Object({ kind: Type.Literal('email'), address: Email }, { additionalProperties: false })
const ChatTarget = Type.Object(
  { kind: Type.Union([Type.Literal('slack'), Type.Literal('teams')]), url: Url },
  {
    additionalProperties: false,
    description:
      'slack: a Slack incoming-webhook URL (https://hooks.slack.com/…); teams: a Microsoft Teams Workflows or incoming-webhook URL',
  },
)
const WEBHOOK_TARGET = "A Standard Webhooks signed POST to the rep's own tooling"
export const NotificationTarget = Type.Union([
  EmailTarget,
  ChatTarget,
  Type.Object(
    {
      kind: Type.Literal('webhook'),
      url: Url,
      secret: Type.Optional(
        Type.String({
          pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$',
          description:
            'The signing secret your receiver verifies with: whsec_ and the base64 of 24–64 random bytes. Required for a new URL; ' +
            'left out, a target with the same URL keeps the secret it has. Never shown again',
        }),
      ),
    },
    { additionalProperties: false, description: WEBHOOK_TARGET },
  ),
])

/** A target as answers show it: a webhook's secret only as its last four characters. */
export const NotificationTargetView = Type.Union([
  EmailTarget,
  ChatTarget,
  Type.Object(
    { kind: Type.Literal('webhook'), url: Url, secretHint: Type.String({ description: 'The last four characters of the secret' }) },
    { additionalProperties: false, description: WEBHOOK_TARGET },
  ),
])

const Limit = (maximum: number) => Type.Union([Type.Integer({ minimum: 1, maximum }), Type.Null()])
const Capacity = Type.Object(
  { maxPending: Type.Optional(Limit(1000)), maxPerDay: Type.Optional(Limit(10_000)) },
  { additionalProperties: false, description: 'Max pending acceptances, max new leads per day (rep time zone); null: no limit' },
)
const Status = Type.Union([Type.Literal('available'), Type.Literal('away')])
const IsoDate = Type.String({ format: 'date', description: 'YYYY-MM-DD in the rep time zone' })

const fields = {
  name: Name,
  email: Email,
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' }),
  workingHours: Type.Optional(Type.Union([WorkingHours, Type.Null()])),
  holidays: Type.Optional(Type.Array(IsoDate, { maxItems: 400, uniqueItems: true })),
  status: Type.Optional(Status),
  capacity: Type.Optional(Capacity),
  attributes: Type.Optional(RepAttributes),
  managerId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  notificationTargets: Type.Optional(Type.Array(NotificationTarget, { maxItems: 10 })),
}

export const CreateRepBody = Type.Object(fields, { additionalProperties: false })
export type CreateRepBody = Static<typeof CreateRepBody>

/** What a rep may change about itself (PATCH /v1/reps/me); every other field is an admin's. */
export const SELF_SERVICE_FIELDS = ['status', 'awayUntil', 'notificationTargets', 'handBack'] as const

export const UpdateRepBody = Type.Partial(
  Type.Object({
    ...fields,
    awayUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'Away until this instant, then available again (seconds-precise); implies status away. null: away with no end. ' +
        'Setting status available clears it',
    }),
    handBack: Type.Literal('pending', {
      description: 'With status away: re-route every pending offer at once (handoff.withdrawn, then lead.rerouted)',
    }),
  }),
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateRepBody = Static<typeof UpdateRepBody>

export const Rep = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    email: Type.String(),
    timezone: Type.String(),
    workingHours: Type.Union([WorkingHours, Type.Null()]),
    holidays: Type.Array(Type.String()),
    status: Status,
    awayUntil: Type.Union([Timestamp, Type.Null()], {
      description: 'When an away rep becomes available again by itself; null: no end set',
    }),
    capacity: Type.Object({ maxPending: Type.Union([Type.Integer(), Type.Null()]), maxPerDay: Type.Union([Type.Integer(), Type.Null()]) }),
    attributes: RepAttributes,
    managerId: Type.Union([Uuid, Type.Null()]),
    notificationTargets: Type.Array(NotificationTargetView),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Rep' },
)
export type Rep = Static<typeof Rep>

export const UpdatedRep = Type.Composite([
  Rep,
  Type.Object({
    handedBack: Type.Optional(
      Type.Object(
        { pending: Type.Integer({ minimum: 0, description: 'Pending offers withdrawn and re-routed' }) },
        { description: 'With handBack: what moved' },
      ),
    ),
  }),
])

export const ListRepsQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Status), email: Type.Optional(Email) },
  { additionalProperties: false },
)
export type ListRepsQuery = Static<typeof ListRepsQuery>

export const HandBackBody = Type.Object(
  {
    include: Type.Union([Type.Literal('pending'), Type.Literal('unworked'), Type.Literal('open')], {
      description:
        'pending: the offers waiting for the rep; unworked: those and the accepted leads not yet contacted; ' +
        'open: those and every lead the rep owns that is not converted or closed',
    }),
  },
  { additionalProperties: false },
)
export type HandBackBody = Static<typeof HandBackBody>

export const HandBackAnswer = Type.Object({
  pending: Type.Integer({ minimum: 0, description: 'Pending offers withdrawn and re-routed (handoff.withdrawn, lead.rerouted)' }),
  leads: Type.Integer({ minimum: 0, description: 'Owned leads sent back into routing (lead.reassigned)' }),
})

export const DeleteRepQuery = Type.Object(
  {
    handBack: Type.Optional(
      Type.Literal('open', {
        description:
          'Hand back everything the rep holds first (as POST /v1/reps/{id}/hand-back {include: open}), then delete it. ' +
          'Without it, a rep holding work is refused with 409',
      }),
    ),
  },
  { additionalProperties: false },
)
export type DeleteRepQuery = Static<typeof DeleteRepQuery>

export const DeletedRep = Type.Object({
  id: Uuid,
  deleted: Type.Literal(true),
  handedBack: Type.Composite([HandBackAnswer], { description: 'What moved before the rep was deleted' }),
})
