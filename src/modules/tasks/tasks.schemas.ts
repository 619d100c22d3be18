import { Type, type Static } from '@sinclair/typebox'
import { TASK_STATUSES } from '../../db/schema/tasks.ts'
import { PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

export const Task = Type.Object(
  {
    id: Uuid,
    leadId: Uuid,
    repId: Uuid,
    handoffId: Type.Union([Uuid, Type.Null()]),
    kind: Type.Literal('first_contact'),
    title: Type.String(),
    status: Type.Union(TASK_STATUSES.map((s) => Type.Literal(s))),
    dueAt: Timestamp,
    completedAt: Type.Union([Timestamp, Type.Null()]),
    overdueAt: Type.Union([Timestamp, Type.Null()], { description: 'When lead.contact_overdue went out for it' }),
    reassignAt: Type.Union([Timestamp, Type.Null()], {
      description: 'firstContact.onOverdue reassign: when the lead goes back into routing if still uncontacted; null: notify only',
    }),
    createdAt: Timestamp,
  },
  { $id: 'Task' },
)
export type Task = Static<typeof Task>

export const ListTasksQuery = Type.Object(
  {
    ...PageQuery,
    repId: Type.Optional(Type.String({ format: 'uuid', description: 'A rep token may give only its own id (or none)' })),
    status: Type.Optional(Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)))),
    dueBefore: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
export type ListTasksQuery = Static<typeof ListTasksQuery>
