import { Type, type Static } from '@sinclair/typebox'
import { Name, PageQuery, Timestamp, Uuid } from '../../lib/schemas.ts'

const Domains = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Stored lower-case without "www."; each domain belongs to one account',
})

const fields = {
  name: Name,
  domains: Domains,
  ownerId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'The rep who owns the account; null: unowned' })),
}

export const CreateAccountBody = Type.Object(fields, { additionalProperties: false })
export type CreateAccountBody = Static<typeof CreateAccountBody>

export const UpdateAccountBody = Type.Partial(Type.Object(fields), { additionalProperties: false, minProperties: 1 })
export type UpdateAccountBody = Static<typeof UpdateAccountBody>

export const Account = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    domains: Type.Array(Type.String()),
    ownerId: Type.Union([Uuid, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Account' },
)
export type Account = Static<typeof Account>

export const ListAccountsQuery = Type.Object(
  {
    ...PageQuery,
    ownerId: Type.Optional(Type.String({ format: 'uuid' })),
    domain: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  },
  { additionalProperties: false },
)
export type ListAccountsQuery = Static<typeof ListAccountsQuery>
