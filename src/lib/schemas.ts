import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** RFC 9457 problem details as every 4xx/5xx body; see plugins/problem.ts. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URN naming the kind of problem: urn:baton:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. validation_failed' }),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          in: Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('header')]),
          pointer: Type.String({ description: 'JSON Pointer (RFC 6901) into that part of the request' }),
          detail: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
)

const problemRef = Type.Ref(ProblemSchema)

/** Adds the problem+json answers a route can give to its success responses. */
export function withProblems<R extends Record<number, TSchema>>(responses: R, statuses: number[]) {
  const errors = Object.fromEntries([401, 403, ...statuses].map((status) => [status, problemRef]))
  return { ...responses, ...errors } as R
}

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
export type IdParams = Static<typeof IdParams>

export const Timestamp = Type.String({ format: 'date-time' })
/** Short human text: trimmed of nothing, but bounded. */
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Uuid = Type.String({ format: 'uuid' })

/** `?limit=&cursor=` for every list. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}

/** `{data: [...], nextCursor}` for every list. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })

/** preValidation for routes whose body is optional: no body validates as `{}` (every default). */
export const bodyOptional = async (request: { body: unknown }): Promise<void> => {
  // Only an absent body: a JSON `null` was sent on purpose and fails validation like any other bad body.
  if (request.body === undefined) request.body = {}
}
