import { Type, type Static } from '@sinclair/typebox'
import { ACTIVITY_TYPES } from '../../db/schema/tasks.ts'
import { Timestamp, Uuid } from '../../lib/schemas.ts'
import { Lead } from '../leads/leads.schemas.ts'

export const ActivityBody = Type.Object(
  {
    type: Type.Union(
      ACTIVITY_TYPES.map((t) => Type.Literal(t)),
      { description: "The first call, email or meeting is the lead's first contact" },
    ),
    note: Type.Optional(Type.String({ maxLength: 5000 })),
    occurredAt: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened (not in the future); default now' })),
  },
  { additionalProperties: false },
)
export type ActivityBody = Static<typeof ActivityBody>

export const Activity = Type.Object({
  id: Uuid,
  leadId: Uuid,
  repId: Type.Union([Uuid, Type.Null()]),
  type: Type.Union(ACTIVITY_TYPES.map((t) => Type.Literal(t))),
  note: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Timestamp,
  createdAt: Timestamp,
})

export const ActivityAnswer = Type.Object({
  activity: Activity,
  lead: Lead,
  firstContact: Type.Boolean({ description: "True when this activity was the lead's first contact" }),
})

export const ConvertBody = Type.Object(
  {
    amount: Type.Optional(Type.Number({ minimum: 0, maximum: 1e15 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The opportunity's id in your CRM" })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    closeDate: Type.Optional(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
)
export type ConvertBody = Static<typeof ConvertBody>

export const CloseBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false })
