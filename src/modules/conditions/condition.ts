import { escapePointer } from '../../lib/json-pointer.ts'
import { LEAD_FIELDS, fieldReader, fieldType, type FieldCatalog } from './fields.ts'
import { OPERATOR_SPECS } from './operators.ts'
import { type LeafTrace, OPERATORS, type Operator } from '../../db/schema/json/condition.ts'

/** A problem in a condition, at a JSON Pointer relative to the condition itself. */
export interface ConditionError {
  pointer: string
  detail: string
}

/** A validated condition, ready to run on any number of records without I/O. */
export interface CompiledCondition {
  test(record: unknown): boolean
  /** Like test, but evaluates every leaf (no short-circuit) and reports each. */
  explain(record: unknown): { matched: boolean; leaves: LeafTrace[] }
}

export const LIMITS = { depth: 10, nodes: 500, children: 100 }

type Node = { test(record: unknown): boolean; trace(record: unknown, into: LeafTrace[]): boolean }

/** Validates and compiles in one pass; every error is reported, not only the first. */
export function compileCondition(
  input: unknown,
  catalog: FieldCatalog = LEAD_FIELDS,
): { ok: true; condition: CompiledCondition } | { ok: false; errors: ConditionError[] } {
  const errors: ConditionError[] = []
  let nodes = 0

  function build(node: unknown, pointer: string, depth: number): Node | undefined {
    if (++nodes > LIMITS.nodes) {
      if (nodes === LIMITS.nodes + 1) errors.push({ pointer, detail: `a condition may have at most ${LIMITS.nodes} nodes` })
      return undefined
    }
    if (depth > LIMITS.depth) {
      errors.push({ pointer, detail: `conditions may nest at most ${LIMITS.depth} levels deep` })
      return undefined
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      errors.push({ pointer, detail: 'must be a condition: {all}, {any}, {not} or {field, op, value}' })
      return undefined
    }
    const keys = Object.keys(node)
    const record = node as Record<string, unknown>
    if ('all' in record || 'any' in record) return group(record, keys, pointer, depth)
    if ('not' in record) return negation(record, keys, pointer, depth)
    if ('field' in record || 'op' in record) return leaf(record, keys, pointer)
    errors.push({ pointer, detail: 'must be a condition: {all}, {any}, {not} or {field, op, value}' })
    return undefined
  }

  function extraKeys(keys: string[], allowed: string[], pointer: string): void {
    for (const key of keys.filter((k) => !allowed.includes(k))) {
      errors.push({ pointer: `${pointer}/${escapePointer(key)}`, detail: `is not part of a condition (here: ${allowed.join(', ')})` })
    }
  }

  function group(record: Record<string, unknown>, keys: string[], pointer: string, depth: number): Node | undefined {
    const kind = 'all' in record ? 'all' : 'any'
    extraKeys(keys, [kind], pointer)
    const children = record[kind]
    if (!Array.isArray(children) || children.length === 0 || children.length > LIMITS.children) {
      errors.push({ pointer: `${pointer}/${kind}`, detail: `must be a list of 1 to ${LIMITS.children} conditions` })
      return undefined
    }
    const built = children.map((child, i) => build(child, `${pointer}/${kind}/${i}`, depth + 1))
    if (built.some((b) => b === undefined)) return undefined
    const nodes = built as Node[]
    return kind === 'all'
      ? { test: (r) => nodes.every((n) => n.test(r)), trace: (r, into) => nodes.map((n) => n.trace(r, into)).every(Boolean) }
      : { test: (r) => nodes.some((n) => n.test(r)), trace: (r, into) => nodes.map((n) => n.trace(r, into)).some(Boolean) }
  }

  function negation(record: Record<string, unknown>, keys: string[], pointer: string, depth: number): Node | undefined {
    extraKeys(keys, ['not'], pointer)
    const inner = build(record.not, `${pointer}/not`, depth + 1)
    return inner && { test: (r) => !inner.test(r), trace: (r, into) => !inner.trace(r, into) }
  }

  function leaf(record: Record<string, unknown>, keys: string[], pointer: string): Node | undefined {
    extraKeys(keys, ['field', 'op', 'value'], pointer)
    const { field, op } = record
    const before = errors.length
    const type = typeof field === 'string' ? fieldType(catalog, field) : undefined
    if (typeof field !== 'string')
      errors.push({ pointer: `${pointer}/field`, detail: 'must be a field path such as "country" or "signals.demoRequested"' })
    else if (!type) errors.push({ pointer: `${pointer}/field`, detail: `"${field}" is not a known field (${describeCatalog(catalog)})` })
    if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
      errors.push({ pointer: `${pointer}/op`, detail: `must be one of ${OPERATORS.join(', ')}` })
      return undefined
    }
    const spec = OPERATOR_SPECS[op as Operator]
    // `exists` alone may omit its value: {field, op: "exists"} asks "is it there?".
    const value = op === 'exists' && !('value' in record) ? true : record.value
    if (type && !spec.fields.includes(type)) {
      errors.push({ pointer: `${pointer}/op`, detail: `${op} does not apply to ${field as string}, a ${type} field` })
    } else if (!('value' in record) && op !== 'exists') {
      errors.push({ pointer: `${pointer}/value`, detail: 'is required' })
    } else {
      const problem = spec.check(value, type ?? 'any')
      if (problem) errors.push({ pointer: `${pointer}/value`, detail: problem })
    }
    if (errors.length > before) return undefined

    const read = fieldReader(field as string)
    const test = spec.build(value)
    return {
      test: (r) => test(read(r)),
      trace: (r, into) => {
        const actual = read(r)
        const matched = test(actual)
        into.push({ pointer, field: field as string, op: op as Operator, value, actual, matched })
        return matched
      },
    }
  }

  const root = build(input, '', 0)
  if (!root || errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    condition: {
      test: (record) => root.test(record),
      explain: (record) => {
        const leaves: LeafTrace[] = []
        return { matched: root.trace(record, leaves), leaves }
      },
    },
  }
}

function describeCatalog(catalog: FieldCatalog): string {
  const prefixes = catalog.prefixes.map((p) => `${p}*`)
  return `known: ${[...Object.keys(catalog.exact), ...prefixes].join(', ')}`
}
