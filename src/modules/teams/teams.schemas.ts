import { Type, type Static } from '@sinclair/typebox'
import { Name, PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

const Strategy = Type.Union(
  [Type.Literal('round_robin'), Type.Literal('weighted'), Type.Literal('least_loaded'), Type.Literal('best_fit')],
  {
    description:
      'round_robin: strict rotation; weighted: in proportion to weight; least_loaded: fewest open leads; best_fit: the rep most ' +
      "likely to win the lead's industry (won/lost outcomes, Thompson sampling so newer reps still get leads)",
  },
)
const MemberInput = Type.Object(
  { repId: Uuid, weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1 })) },
  { additionalProperties: false },
)

const fields = {
  name: Name,
  strategy: Strategy,
  members: Type.Array(MemberInput, { maxItems: 500 }),
  managerId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: "Receives escalations of this team's leads" })),
}

export const CreateTeamBody = Type.Object(fields, { additionalProperties: false })
export type CreateTeamBody = Static<typeof CreateTeamBody>

export const UpdateTeamBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
  description: '`members`, when given, is the whole new list: members kept keep their join date and routing history',
})
export type UpdateTeamBody = Static<typeof UpdateTeamBody>

export const Team = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    strategy: Strategy,
    managerId: Type.Union([Uuid, Type.Null()]),
    members: Type.Array(Type.Object({ repId: Uuid, weight: Type.Integer(), joinedAt: Timestamp })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Team' },
)
export type Team = Static<typeof Team>

export const ListTeamsQuery = Type.Object(
  { ...PageQuery, repId: Type.Optional(Type.String({ format: 'uuid', description: 'Only teams this rep belongs to' })) },
  { additionalProperties: false },
)
export type ListTeamsQuery = Static<typeof ListTeamsQuery>
