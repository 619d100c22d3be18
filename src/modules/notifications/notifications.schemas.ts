import { Type, type Static } from '@sinclair/typebox'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'
import { NOTIFICATION_MESSAGES, NOTIFICATION_STATUSES } from '../../db/schema/notifications.ts'
import { NotificationTarget, NotificationTargetView } from '../reps/reps.schemas.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const Notification = Type.Object(
  {
    id: Uuid,
    eventId: Uuid,
    leadId: Nullable(Uuid),
    message: Type.Union(
      NOTIFICATION_MESSAGES.map((m) => Type.Literal(m)),
      {
        description:
          'offer: a lead offered (lead.assigned); escalation: offered as a manager; reminder: before the deadline; moved_on: an ' +
          'offer expired or was withdrawn, or a lead reassigned away; contact_overdue: the first call is late',
      },
    ),
    target: NotificationTargetView,
    status: Type.Union(
      NOTIFICATION_STATUSES.map((s) => Type.Literal(s)),
      { description: 'pending: not yet accepted by the target (retried with backoff); sent; failed: given up, see lastError' },
    ),
    attempts: Type.Integer({ minimum: 0 }),
    lastError: Nullable(Type.String({ description: 'Why the last attempt did not go through (an SMTP answer, a connection error)' })),
    nextAttemptAt: Nullable(Timestamp),
    sentAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { $id: 'Notification' },
)
export type Notification = Static<typeof Notification>

export const ListNotificationsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export type ListNotificationsQuery = Static<typeof ListNotificationsQuery>

const Switches = Type.Object(Object.fromEntries(NOTIFICATION_MESSAGES.map((m) => [m, Type.Optional(Type.Boolean())])), {
  additionalProperties: false,
  description: 'false turns a message off for every target; absent or true: on',
})

export const NotificationSettingsBody = Type.Object(
  {
    adminTargets: Type.Array(NotificationTarget, {
      maxItems: 20,
      description: 'Where needs_assignment goes: a lead escalated with nobody left to offer it to',
    }),
    messages: Switches,
  },
  { additionalProperties: false },
)
export type NotificationSettingsBody = Static<typeof NotificationSettingsBody>

export const NotificationSettings = Type.Object(
  { adminTargets: Type.Array(NotificationTargetView), messages: Switches, updatedAt: Nullable(Timestamp) },
  { $id: 'NotificationSettings' },
)
export type NotificationSettings = Static<typeof NotificationSettings>
