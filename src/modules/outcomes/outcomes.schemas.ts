import { Type, type Static } from '@sinclair/typebox'

export const OutcomeBody = Type.Object(
  {
    result: Type.Union([Type.Literal('won'), Type.Literal('lost')]),
    amount: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12, description: "The deal's value, in whatever currency the CRM uses" })),
    closedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the deal closed (default: now); not in the future' })),
  },
  { additionalProperties: false },
)
export type OutcomeBody = Static<typeof OutcomeBody>
