// The fuzz's view of the API: every operation of openapi/openapi.json with its path,
// query and header parameters and its JSON body schema, plus the schema helpers the
// mutations need (a plausible instance, a value of the wrong type, every property position).
import { readFile } from 'node:fs/promises'

/** The subset of JSON Schema (as @fastify/swagger writes TypeBox schemas) the fuzz reads. */
export interface Schema {
  type?: string | string[]
  anyOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  patternProperties?: Record<string, Schema>
  items?: Schema
  enum?: unknown[]
  const?: unknown
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  minProperties?: number
  default?: unknown
}

/** One parameter of an operation. */
export interface Param {
  name: string
  in: 'path' | 'query' | 'header'
  required: boolean
  schema: Schema
}

/** One operation of the published API. */
export interface Route {
  method: string
  /** The OpenAPI template, e.g. /v1/reps/{id}. */
  path: string
  params: Param[]
  query: Param[]
  headers: Param[]
  body: Schema | undefined
  /** `security: []`: no bearer token (health, accept links, inbound forms). */
  public: boolean
  /** Whether the operation declares any 4xx answer; the accept-link page declares none (it answers HTML). */
  declares4xx: boolean
  /** Its summary or description says it writes nothing (a simulation): text it cannot store is no defect there. */
  writesNothing: boolean
}

interface Operation {
  summary?: string
  description?: string
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: Schema }>
  requestBody?: { content?: Record<string, { schema: Schema }> }
  security?: unknown[]
  responses?: Record<string, unknown>
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** Every operation of the committed OpenAPI document, read at run time so new routes are fuzzed too. */
export async function loadRoutes(): Promise<Route[]> {
  const document = JSON.parse(await readFile(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, Operation>>
  }
  const routes: Route[] = []
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!METHODS.includes(method)) continue
      const parameters = (op.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in as Param['in'],
        required: p.required === true,
        schema: p.schema,
      }))
      routes.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        headers: parameters.filter((p) => p.in === 'header'),
        body: op.requestBody?.content?.['application/json']?.schema,
        public: Array.isArray(op.security) && op.security.length === 0,
        declares4xx: Object.keys(op.responses ?? {}).some((status) => status.startsWith('4')),
        writesNothing: /without writing|writes nothing/i.test(`${op.summary ?? ''} ${op.description ?? ''}`),
      })
    }
  }
  return routes
}

/** The JSON types a schema admits ('integer' counts as a kind of 'number'); undefined: anything. */
export function typesOf(schema: Schema): Set<string> | undefined {
  if (schema.anyOf) {
    const all = new Set<string>()
    for (const branch of schema.anyOf) {
      const types = typesOf(branch)
      if (!types) return undefined
      for (const t of types) all.add(t)
    }
    return all
  }
  if (schema.type) return new Set(Array.isArray(schema.type) ? schema.type : [schema.type])
  const fixed = schema.const !== undefined ? [schema.const] : schema.enum
  if (fixed) return new Set(fixed.map(jsonType))
  return undefined
}

/** The JSON Schema type of a JSON value. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

const admits = (types: Set<string>, value: unknown) => {
  const t = jsonType(value)
  return types.has(t) || (t === 'integer' && types.has('number'))
}

const WRONG_VALUES: unknown[] = [12345, 2.5, 'fuzz', '12', 'true', true, false, [], [1, 'a'], {}, { a: 1 }, null, -1e308]

/** Values whose JSON type the schema refuses; empty when it takes any type. */
export function wrongValues(schema: Schema): unknown[] {
  const types = typesOf(schema)
  return types ? WRONG_VALUES.filter((v) => !admits(types, v)) : []
}

/** Hints by property name: a value that makes the sample valid where the schema alone can't (an IANA zone, an existing rep). */
export type Hint = (key: string, schema: Schema) => unknown

/**
 * A plausible instance: required members only (`full`: every member, arrays of one
 * item), strings that fit their format, numbers inside their bounds.
 */
export function sample(schema: Schema, hint: Hint, full = false, key = ''): unknown {
  const hinted = key ? hint(key, schema) : undefined
  if (hinted !== undefined) return hinted
  if (schema.anyOf) {
    const branch = schema.anyOf.find((b) => b.type !== 'null') ?? schema.anyOf[0]
    return branch ? sample(branch, hint, full, key) : null
  }
  if (schema.const !== undefined) return schema.const
  if (schema.enum) return schema.enum[0]
  if (schema.default !== undefined && !full) return schema.default
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        if (full || schema.required?.includes(name)) out[name] = sample(sub, hint, full, name)
      }
      // A PATCH body needs at least one member.
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        if (Object.keys(out).length >= (schema.minProperties ?? 0)) break
        out[name] ??= sample(sub, hint, full, name)
      }
      return out
    }
    case 'array': {
      const count = Math.max(schema.minItems ?? 0, full ? 1 : 0)
      return Array.from({ length: count }, () => sample(schema.items ?? {}, hint, full, key))
    }
    case 'string':
      return sampleString(schema)
    case 'integer':
    case 'number':
      return Math.min(Math.max(schema.minimum ?? 1, 1), schema.maximum ?? Number.MAX_SAFE_INTEGER)
    case 'boolean':
      return false
    case 'null':
      return null
    default:
      return {}
  }
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case 'email':
      return 'fuzz@acme-fuzz.io'
    case 'uuid':
      return '01900000-0000-7000-8000-000000000000'
    case 'date-time':
      return new Date(Date.now() - 3_600_000).toISOString()
    case 'date':
      return '2026-01-05'
    case 'uri':
      return 'https://acme-fuzz.io/hook'
  }
  if (schema.pattern?.includes('[0-5][0-9]')) return '09:00'
  return 'fuzz'.padEnd(schema.minLength ?? 4, 'z')
}

/** A member the mutations can aim at: its path from the body's root and its schema. */
export interface Position {
  path: Array<string | number>
  schema: Schema
  parent: Schema | undefined
}

/**
 * Every position of a full sample, the root included: object members, the first item
 * of arrays, through the object branch of a union, down to `depth` levels.
 */
export function positions(schema: Schema, depth = 4): Position[] {
  const out: Position[] = []
  const walk = (s: Schema, path: Array<string | number>, parent: Schema | undefined) => {
    out.push({ path, schema: s, parent })
    if (path.length >= depth) return
    const object = s.anyOf?.find((b) => b.type === 'object' || b.type === 'array') ?? s
    for (const [name, sub] of Object.entries(object.properties ?? {})) walk(sub, [...path, name], object)
    if (object.type === 'array' && object.items) walk(object.items, [...path, 0], object)
  }
  walk(schema, [], undefined)
  return out
}

/** Deep copy of JSON data. */
export const clone = <T>(value: T): T => structuredClone(value)

/**
 * Sets `value` at `path` inside `body`, creating the missing parents from `full` (a
 * full sample of the same schema) so the member sits where the schema expects it.
 */
export function setAt(body: unknown, full: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value
  const root = clone(body)
  let node = root as Record<string | number, unknown>
  let model = full as Record<string | number, unknown> | undefined
  for (const [i, step] of path.entries()) {
    if (i === path.length - 1) {
      node[step] = value
      break
    }
    const nextModel = model?.[step] as Record<string | number, unknown> | undefined
    if (node[step] === null || typeof node[step] !== 'object') node[step] = clone(nextModel ?? (typeof path[i + 1] === 'number' ? [] : {}))
    node = node[step] as Record<string | number, unknown>
    model = nextModel
  }
  return root
}

/** Removes the member at `path`, if it is there. */
export function deleteAt(body: unknown, path: Array<string | number>): unknown {
  const root = clone(body)
  let node = root as Record<string | number, unknown> | undefined
  for (const step of path.slice(0, -1)) node = node?.[step] as Record<string | number, unknown> | undefined
  if (node && typeof node === 'object') delete node[path.at(-1)!]
  return root
}

export const isFreeText = (s: Schema) => s.type === 'string' && !s.format && !s.pattern && !s.enum && s.const === undefined
export const isConstrainedText = (s: Schema) => s.type === 'string' && Boolean(s.format || s.pattern || s.enum || s.const !== undefined)
