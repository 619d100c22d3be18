// Bad request bodies, each invalid by construction: a schema violation checked against
// the route's own schema with the service's Ajv settings (a "bad" body the schema accepts
// is a generator mistake and is not sent), or one of a few inputs the schema cannot see
// but no service can honour (NUL in text, 10,000 levels of nesting, broken JSON framing).
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import {
  clone,
  deleteAt,
  isConstrainedText,
  isFreeText,
  positions,
  setAt,
  typesOf,
  wrongValues,
  type Position,
  type Schema,
} from './fuzz-spec.ts'

// As src/plugins/validation.ts: bodies are not coerced, query and path text is.
const shared = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const
const bodyAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: false }))
const textAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: 'array' }))
const compiled = new WeakMap<object, ValidateFunction>()

function validator(ajv: Ajv, schema: object): ValidateFunction {
  let validate = compiled.get(schema)
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)))
  return validate
}

/** Whether the route's body schema accepts `value` (a copy is checked: Ajv fills defaults in). */
export const bodyValid = (schema: Schema, value: unknown): boolean => validator(bodyAjv, schema)(clone(value))

const paramSchemas = new WeakMap<Schema, object>()
/** Whether a path, query or header parameter accepts this text (or repeated texts). */
export function paramValid(schema: Schema, value: string | string[]): boolean {
  let wrapper = paramSchemas.get(schema)
  if (!wrapper) paramSchemas.set(schema, (wrapper = { type: 'object', properties: { p: schema }, required: ['p'] }))
  return validator(textAjv, wrapper)({ p: value })
}

/** One bad body: what is wrong, the bytes, the content type (null: none) and the statuses the README promises. */
export interface BodyCase {
  mutation: string
  body: string | Buffer | undefined
  contentType: string | null
  expect: number[] | undefined
  headers?: Record<string, string>
}

type Rnd = () => number
export const pick = <T>(rnd: Rnd, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!

const JSON_TYPE = 'application/json'
const DEPTH = 10_000
const MIB = 1024 * 1024
const NASTY = [
  '\ud800',
  '\udfff',
  'a\u0000b',
  '\u202eDE',
  '\u200f\u200e',
  '\ufeff',
  '😀',
  '１２３',
  '\u0301\u0301',
  'e\u0301',
  '\u{10ffff}',
  '\u2028\u2029',
  'İı',
  '<script>',
  "' or 1=1 --",
]
const WIDE = ['😀', '\u202e', '\u200f', 'é', '𝕏', 'ﷺ', '\u0301', '中']
const EXTRA_KEYS = ['extra', 'isAdmin', 'role', 'id', 'createdAt', '\u202eevil', 'emoji😀', 'nul\u0000key', 'k'.repeat(300), '$where', '']
const PROTO = ['{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"isAdmin":true}}}']
const BAD_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/json-patch+json',
  'application/merge-patch+json',
  'text/json',
  'application/octet-stream',
  'application/javascript',
  'application/jsonx',
  null,
]

// Each form tool's signature header with a signature nobody made, and a bearer token for generic token-auth sources.
const FORGED: Array<[string, string]> = [
  ['webhook-signature', 'v1,Zm9yZ2VkIHNpZ25hdHVyZSBvZiB0aGUgZnV6eg=='],
  ['webhook-signature', 'v1a,garbage'],
  ['typeform-signature', 'sha256=Zm9yZ2Vk'],
  ['tally-signature', 'Zm9yZ2Vk'],
  ['x-webflow-signature', 'deadbeef'],
  ['x-hubspot-signature-v3', 'Zm9yZ2Vk'],
  ['authorization', 'Bearer forged-source-token'],
]

const BAD_UTF8: Array<[string, number[]]> = [
  ['0xFF 0xFE', [0xff, 0xfe]],
  ['truncated sequence', [0xc3, 0x28]],
  ['UTF-8 of a surrogate', [0xed, 0xa0, 0x80]],
  ['overlong "/"', [0xc0, 0xaf]],
  ['5-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['Latin-1 é', [0xe9]],
]

const deepArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const deepObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

/** Bad bodies for a route whose body has a schema. `base` is a plausible body, `full` the same with every member. */
export function bodyCases(
  schema: Schema,
  base: unknown,
  full: unknown,
  { storesText, creates }: { storesText: boolean; creates: boolean },
): Array<(rnd: Rnd) => BodyCase | undefined> {
  const all = positions(schema)
  const text = (value: unknown) => JSON.stringify(value)
  const strict = (mutation: string, value: unknown): BodyCase | undefined =>
    bodyValid(schema, value) ? undefined : { mutation, body: text(value), contentType: JSON_TYPE, expect: [422] }
  const typed = all.filter((p) => wrongValues(p.schema).length > 0)
  const required = all.filter((p) => p.path.length > 0 && p.parent?.required?.includes(String(p.path.at(-1))))
  const closed = all.filter((p) => objectBranch(p.schema)?.additionalProperties === false)
  const bounded = all.filter((p) => typesOf(p.schema)?.has('string') && stringBranch(p.schema)?.maxLength !== undefined)
  const constrained = all.filter((p) => isConstrainedText(stringBranch(p.schema) ?? {}))
  const free = all.filter((p) => isFreeText(stringBranch(p.schema) ?? {}))
  const freeObjects = all.filter((p) => {
    const o = objectBranch(p.schema)
    return o && !o.properties
  })
  const cases: Array<(rnd: Rnd) => BodyCase | undefined> = []
  const at = (p: Position, value: unknown) => setAt(base, full, p.path, value)
  const where = (p: Position) => `/${p.path.join('/')}`

  // The whole body of the wrong type: `null` is the interesting one where a body is optional.
  cases.push(
    () => strict('root_type null', null),
    (rnd) => strict('root_type', pick(rnd, [[], 'fuzz', 0, true, [base]])),
  )
  if (typed.length)
    cases.push((rnd) => {
      const p = pick(rnd, typed)
      return strict(`wrong_type ${where(p)}`, at(p, pick(rnd, wrongValues(p.schema))))
    })
  if (required.length)
    cases.push((rnd) => {
      const p = pick(rnd, required)
      return strict(`missing_required ${where(p)}`, deleteAt(at(p, null), p.path))
    })
  if (closed.length) {
    cases.push((rnd) => {
      const p = pick(rnd, closed)
      const key = pick(rnd, EXTRA_KEYS)
      return strict(
        `extra_property ${where(p)}/${JSON.stringify(key).slice(0, 30)}`,
        setAt(at(p, sampleAt(base, full, p)), full, [...p.path, key], pick(rnd, ['x', 1, null, {}])),
      )
    })
  }
  if (bounded.length) {
    cases.push((rnd) => {
      const p = pick(rnd, bounded)
      return strict(`huge_string ${where(p)}`, at(p, pick(rnd, ['x', 'é', '😀']).repeat(100_000)))
    })
    cases.push((rnd) => {
      const p = pick(rnd, bounded)
      const length = (stringBranch(p.schema)?.maxLength ?? 0) + 1
      return length > 20_000
        ? undefined
        : strict(`overlong_unicode ${where(p)} (${length} code points)`, at(p, Array.from({ length }, () => pick(rnd, WIDE)).join('')))
    })
  }
  if (constrained.length)
    cases.push((rnd) => {
      const p = pick(rnd, constrained)
      const v = pick(rnd, NASTY)
      return strict(`unicode ${where(p)} ${JSON.stringify(v)}`, at(p, v))
    })
  // Schema-valid, but PostgreSQL cannot store NUL in text or jsonb: the answer must be a 4xx, not a 500 (nor a silent rewrite).
  if (free.length && storesText)
    cases.push((rnd) => {
      const p = pick(rnd, free)
      return {
        mutation: `nul_in_text ${where(p)}`,
        body: text(at(p, `fuzz${pick(rnd, ['\u0000', '\u0000\u0000', 'a\u0000b'])}`)),
        contentType: JSON_TYPE,
        expect: undefined,
      }
    })
  // Bytes that are not UTF-8 inside a string: not JSON (RFC 8259 §8.1), so malformed, not to be stored as U+FFFD.
  // Sent only to routes that create: a lenient decoder accepts these, and its writes must add rows, not rewrite
  // (decline, close, republish) the fixtures every other request is aimed at.
  if (free.length && storesText && creates) {
    cases.push((rnd) => {
      const p = pick(rnd, free)
      const [name, bytes] = pick(rnd, BAD_UTF8)
      const [before = '', after = ''] = text(at(p, 'fuzz__FUZZ_BYTES__')).split('__FUZZ_BYTES__')
      return {
        mutation: `invalid_utf8 ${where(p)} (${name})`,
        body: Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
        contentType: JSON_TYPE,
        expect: undefined,
      }
    })
  }
  if (freeObjects.length && storesText)
    cases.push((rnd) => {
      const p = pick(rnd, freeObjects)
      return { mutation: `nul_in_key ${where(p)}`, body: text(at(p, { 'k\u0000': 'v\u0000' })), contentType: JSON_TYPE, expect: undefined }
    })
  const deep = (rnd: Rnd, p: Position, inside: boolean): BodyCase => {
    const arrays = rnd() < 0.7
    const body = text(at(p, inside ? { deep: '__FUZZ_DEEP__' } : '__FUZZ_DEEP__')).replace(
      '"__FUZZ_DEEP__"',
      arrays ? deepArrays(DEPTH) : deepObjects(DEPTH),
    )
    // Checked with three levels in its place (Ajv does not descend into free-form JSON, and cannot copy 10,000
    // levels). Where the schema takes any JSON (custom fields, conditions) only the service's own limits refuse it.
    const shallow = arrays ? [[[]]] : { a: { a: { a: 1 } } }
    const expect = bodyValid(schema, at(p, inside ? { deep: shallow } : shallow)) ? undefined : [422]
    return {
      mutation: `deep_json ${where(p)}${inside ? '/deep' : ''} (${DEPTH} levels of ${arrays ? 'arrays' : 'objects'})`,
      body,
      contentType: JSON_TYPE,
      expect,
    }
  }
  cases.push((rnd) => deep(rnd, rnd() < 0.3 ? all[0]! : pick(rnd, all), false))
  // Each member that takes any JSON (custom fields, signals, conditions) gets its own: a deep value inside it.
  for (const p of freeObjects) cases.push((rnd) => deep(rnd, p, true))
  // Conditions are recursive ({not: …}, {all: […]}): 10,000 levels with a bad leaf at the bottom must be a 422, not a stack overflow.
  const conditions = freeObjects.filter((p) => p.path.at(-1) === 'when')
  if (conditions.length) {
    cases.push((rnd) => {
      const p = pick(rnd, conditions)
      const [open, close] = pick(rnd, [
        ['{"not":', '}'],
        ['{"all":[', ']}'],
        ['{"any":[{"field":"country","op":"exists","value":true},', ']}'],
      ])
      const deep = `${open.repeat(DEPTH)}{"field":"country","op":"fuzz","value":1}${close.repeat(DEPTH)}`
      return {
        mutation: `deep_condition ${where(p)} ${open}…`,
        body: text(at(p, '__FUZZ_DEEP__')).replace('"__FUZZ_DEEP__"', deep),
        contentType: JSON_TYPE,
        expect: [422],
      }
    })
  }
  cases.push(...framingCases(text(base)))
  cases.push((rnd) => ({ mutation: 'prototype_key', body: pick(rnd, PROTO), contentType: JSON_TYPE, expect: [400, 422] }))
  return cases
}

/** Broken framing: JSON that does not parse, no body, another media type, more than 1 MiB. */
export function framingCases(json: string): Array<(rnd: Rnd) => BodyCase | undefined> {
  const variants = (rnd: Rnd) => [
    json.slice(0, 1 + Math.floor(rnd() * (json.length - 1))),
    `${json}}`,
    `${json},`,
    `${json}x`,
    `${json}${json}`,
    json.replaceAll('"', "'"),
    '{"a":1,}',
    '{a:1}',
    'NaN',
    '{"a":01}',
    '/* c */{}',
    '{"a":"\u0001"}',
    '{"a":"\\x41"}',
    '{"a":"\\ud800',
    'undefined',
    '[',
    '"',
    '{"a" 1}',
    '\u0000',
  ]
  // Only text that really does not parse (single quotes in "{}" change nothing).
  const broken = (rnd: Rnd) =>
    pick(
      rnd,
      variants(rnd).filter((text) => !parses(text)),
    )
  return [
    (rnd) => ({ mutation: 'malformed_json', body: broken(rnd), contentType: JSON_TYPE, expect: [400] }),
    () => ({ mutation: 'empty_body', body: undefined, contentType: JSON_TYPE, expect: [400] }),
    (rnd) => {
      const type = pick(rnd, BAD_TYPES)
      return { mutation: `content_type ${type ?? '(none)'}`, body: json, contentType: type, expect: [415] }
    },
    (rnd) => ({
      mutation: 'body_over_1MiB',
      body: `{"pad":"${pick(rnd, ['x', 'é']).repeat(MIB + 1024)}"}`,
      contentType: JSON_TYPE,
      expect: [413],
    }),
  ]
}

/** For routes the schema says nothing about (form-tool webhooks): unsigned, oversized, deep or broken bodies. */
export function unsignedCases(): Array<(rnd: Rnd) => BodyCase | undefined> {
  const json = JSON.stringify({ email: 'fuzz@acme-fuzz.io', name: 'Fuzz' })
  return [
    () => ({ mutation: 'unsigned', body: json, contentType: JSON_TYPE, expect: undefined }),
    (rnd) => {
      const [name, value] = pick(rnd, FORGED)
      return {
        mutation: `forged ${name}`,
        body: json,
        contentType: JSON_TYPE,
        expect: [401],
        headers: { [name]: value, 'webhook-id': 'msg_fuzz', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) },
      }
    },
    (rnd) => ({
      mutation: 'unsigned_300KB',
      body: JSON.stringify({ email: 'fuzz@acme-fuzz.io', pad: pick(rnd, ['x', '😀']).repeat(300_000) }),
      contentType: JSON_TYPE,
      expect: undefined,
    }),
    () => ({
      mutation: 'unsigned_deep_json',
      body: `{"email":"fuzz@acme-fuzz.io","x":${deepArrays(DEPTH)}}`,
      contentType: JSON_TYPE,
      expect: undefined,
    }),
    (rnd) => ({
      mutation: 'unsigned_nul',
      body: JSON.stringify({ email: `fuzz${pick(rnd, ['\u0000', '\ud800'])}@acme-fuzz.io` }),
      contentType: JSON_TYPE,
      expect: undefined,
    }),
    ...framingCases(json).map((make) => (rnd: Rnd) => {
      const c = make(rnd)
      return c && { ...c, expect: undefined }
    }),
  ]
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function objectBranch(schema: Schema): Schema | undefined {
  return schema.type === 'object' ? schema : schema.anyOf?.find((b) => b.type === 'object')
}

function stringBranch(schema: Schema): Schema | undefined {
  return schema.type === 'string' ? schema : schema.anyOf?.find((b) => b.type === 'string')
}

/** The value at a position in `base`, else in `full`: the object an extra member is added to. */
function sampleAt(base: unknown, full: unknown, p: Position): unknown {
  const get = (root: unknown) =>
    p.path.reduce<unknown>(
      (node, step) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[step] : undefined),
      root,
    )
  const found = get(base) ?? get(full)
  return found && typeof found === 'object' && !Array.isArray(found) ? clone(found) : {}
}
