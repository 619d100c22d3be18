import { normalizeDomain } from '../../lib/domains.ts'
import type { FieldType } from './fields.ts'
import type { Operator } from '../../db/schema/json/condition.ts'

type Scalar = string | number | boolean | null
type Test = (actual: unknown) => boolean

interface OperatorSpec {
  /** Field types the operator makes sense on. */
  fields: FieldType[]
  /** Why `value` is unusable for this operator on a field of `type`, or undefined when it is fine. */
  check(value: unknown, type: FieldType): string | undefined
  /** The compiled test, given an already checked value. */
  build(value: unknown): Test
}

export const MAX_LIST = 1000
const MAX_TEXT = 1000

// Text compares case-insensitively: "Fintech" in a rule matches "fintech" in a lead.
const fold = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v)
const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_TEXT)
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** A value of the wrong kind for a typed field can never match: say so on write. */
function scalarFor(type: FieldType, v: unknown): string | undefined {
  if (!isScalar(v)) return `must be a string (up to ${MAX_TEXT} characters), a number, a boolean or null`
  if (v === null || type === 'any' || type === 'string[]') return undefined
  return typeof v === type ? undefined : `must be a ${type}, like the field`
}

function listOf(check: (v: unknown) => string | undefined) {
  return (value: unknown): string | undefined => {
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST) return `must be a list of 1 to ${MAX_LIST} values`
    const bad = value.findIndex((v) => check(v) !== undefined)
    return bad === -1 ? undefined : `item ${bad} ${check(value[bad])}`
  }
}

const compare = (test: (actual: number, expected: number) => boolean) => ({
  fields: ['number', 'any'] as FieldType[],
  check: (value: unknown) => (isNumber(value) ? undefined : 'must be a number'),
  build:
    (value: unknown): Test =>
    (actual) =>
      isNumber(actual) && test(actual, value as number),
})

const text = (test: (actual: string, expected: string) => boolean): OperatorSpec => ({
  fields: ['string', 'any'],
  check: (value) =>
    typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT
      ? undefined
      : `must be a non-empty string of up to ${MAX_TEXT} characters`,
  build: (value) => {
    const expected = (value as string).toLowerCase()
    return (actual) => typeof actual === 'string' && test(actual.toLowerCase(), expected)
  },
})

function inList(value: unknown): Test {
  const set = new Set((value as Scalar[]).map(fold))
  // A list field (productInterest) is "in" when any of its items is.
  return (actual) => (Array.isArray(actual) ? actual.some((item) => set.has(fold(item))) : actual !== undefined && set.has(fold(actual)))
}

/** The host a value names: an email's domain, a website's host, or a domain itself. */
function hostOf(actual: unknown): string | undefined {
  if (typeof actual !== 'string') return undefined
  const at = actual.lastIndexOf('@')
  if (at >= 0) return normalizeDomain(actual.slice(at + 1))
  if (actual.includes('://')) {
    try {
      return normalizeDomain(new URL(actual).hostname)
    } catch {
      return undefined
    }
  }
  return normalizeDomain(actual.split('/')[0] ?? '')
}

export const OPERATOR_SPECS: Record<Operator, OperatorSpec> = {
  eq: {
    fields: ['string', 'number', 'boolean', 'any'],
    check: (v, t) => scalarFor(t, v),
    build: (v) => (actual) => !Array.isArray(actual) && fold(actual) === fold(v),
  },
  neq: {
    fields: ['string', 'number', 'boolean', 'any'],
    check: (v, t) => scalarFor(t, v),
    build: (v) => (actual) => Array.isArray(actual) || fold(actual) !== fold(v),
  },
  in: {
    fields: ['string', 'number', 'boolean', 'string[]', 'any'],
    check: (v, t) => listOf((item) => scalarFor(t, item))(v),
    build: inList,
  },
  nin: {
    fields: ['string', 'number', 'boolean', 'string[]', 'any'],
    check: (v, t) => listOf((item) => scalarFor(t, item))(v),
    build: (v) => {
      const test = inList(v)
      return (actual) => !test(actual)
    },
  },
  gt: compare((a, b) => a > b),
  gte: compare((a, b) => a >= b),
  lt: compare((a, b) => a < b),
  lte: compare((a, b) => a <= b),
  between: {
    fields: ['number', 'any'],
    check: (v) =>
      Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1]) && v[0] <= v[1]
        ? undefined
        : 'must be [min, max]: two numbers, min ≤ max',
    build: (v) => {
      const [min, max] = v as [number, number]
      return (actual) => isNumber(actual) && actual >= min && actual <= max
    },
  },
  contains: {
    fields: ['string', 'string[]', 'any'],
    check: (v) =>
      typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT
        ? undefined
        : `must be a non-empty string of up to ${MAX_TEXT} characters`,
    build: (v) => {
      const expected = (v as string).toLowerCase()
      return (actual) =>
        Array.isArray(actual)
          ? actual.some((item) => fold(item) === expected)
          : typeof actual === 'string' && actual.toLowerCase().includes(expected)
    },
  },
  startsWith: text((a, b) => a.startsWith(b)),
  endsWith: text((a, b) => a.endsWith(b)),
  exists: {
    fields: ['string', 'number', 'boolean', 'string[]', 'any'],
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
    build: (v) => (actual) =>
      (actual !== undefined && actual !== null && actual !== '' && !(Array.isArray(actual) && actual.length === 0)) === v,
  },
  domainIn: {
    fields: ['string', 'any'],
    check: listOf((item) => (typeof item === 'string' && normalizeDomain(item) ? undefined : 'is not a domain name')),
    build: (v) => {
      const domains = (v as string[]).map((d) => normalizeDomain(d)!)
      // A subdomain belongs to its parent: mail.acme.com is in [acme.com].
      return (actual) => {
        const host = hostOf(actual)
        return host !== undefined && domains.some((d) => host === d || host.endsWith(`.${d}`))
      }
    },
  },
}
