import { Type, type Static } from '@sinclair/typebox'
import { Name, PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'
import { SOURCE_KINDS } from './adapters/adapter.ts'

const Kind = Type.Union(SOURCE_KINDS.map((kind) => Type.Literal(kind)))
const Auth = Type.Union([Type.Literal('signature'), Type.Literal('token')], {
  description: 'generic sources: Standard Webhooks signature (default) or a bearer token',
})
const FieldMap = Type.Record(Type.String({ minLength: 1, maxLength: 80 }), Type.String({ minLength: 1, maxLength: 200 }), {
  maxProperties: 60,
  description: 'Lead field (or signals.*, custom.*, utm.*) → where its value is in the submission (a field ref, key, label or dotted path)',
})
const Secret = Type.String({
  minLength: 8,
  maxLength: 512,
  description: 'The signing secret the provider shows you; generic sources get one generated when omitted',
})

export const CreateSourceBody = Type.Object(
  {
    name: Name,
    kind: Kind,
    auth: Type.Optional(Auth),
    secret: Type.Optional(Secret),
    fieldMap: Type.Optional(FieldMap),
    leadSource: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)
export type CreateSourceBody = Static<typeof CreateSourceBody>

export const UpdateSourceBody = Type.Object(
  {
    name: Type.Optional(Name),
    secret: Type.Optional(Secret),
    fieldMap: Type.Optional(FieldMap),
    leadSource: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateSourceBody = Static<typeof UpdateSourceBody>

export const Source = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    kind: Kind,
    auth: Auth,
    fieldMap: Type.Record(Type.String(), Type.String()),
    leadSource: Type.String(),
    inboundUrl: Type.String({ description: 'Give this URL to the form tool' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Source' },
)
export type Source = Static<typeof Source>

export const CreatedSource = Type.Composite([Source, Type.Object({ secret: Type.String({ description: 'Shown only now' }) })])

export const ListSourcesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })
export type ListSourcesQuery = Static<typeof ListSourcesQuery>

export const InboundAnswer = Type.Object({
  leadId: Uuid,
  status: Type.String(),
  duplicate: Type.Boolean({ description: "The submission (by the provider's id) or its email was already a lead" }),
})
