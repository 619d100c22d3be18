import { Type } from '@sinclair/typebox'

// The condition language shared by scoring and routing (SPEC "Conditions"), as stored in
// scoring models and rulesets. The condition compiler checks and compiles it.

export const OPERATORS = [
  'eq',
  'neq',
  'in',
  'nin',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'contains',
  'startsWith',
  'endsWith',
  'exists',
  'domainIn',
] as const
export type Operator = (typeof OPERATORS)[number]

/**
 * `{all: [...]}`, `{any: [...]}`, `{not: ...}` and leaves `{field, op, value}`.
 * No user regex anywhere, so no rule can be made to backtrack forever.
 */
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | { field: string; op: Operator; value?: unknown }

/** Checked by the condition compiler (which names the JSON pointer of a bad node), not by Ajv. */
export const ConditionSchema = Type.Unsafe<Condition>({
  type: 'object',
  additionalProperties: true,
  description: '{all: [...]}, {any: [...]}, {not: {...}} or a leaf {field, op, value}; see the README',
})

/** One leaf's outcome, for "why did this rule (not) match?" (in routing traces and simulations). */
export interface LeafTrace {
  pointer: string
  field: string
  op: Operator
  value: unknown
  actual: unknown
  matched: boolean
}
