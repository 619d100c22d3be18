/** What a condition can know about a field's values, to refuse nonsense on write. */
export type FieldType = 'string' | 'number' | 'boolean' | 'string[]' | 'any'

/**
 * The fields conditions may name. Exact paths have a type; a prefix entry ("signals.")
 * admits any path below it, typed `any`, because signals and custom data are open.
 */
export interface FieldCatalog {
  exact: Record<string, FieldType>
  prefixes: string[]
}

/** Lead fields (SPEC "Leads"), usable by scoring and routing rules. */
export const LEAD_FIELDS: FieldCatalog = {
  exact: {
    email: 'string',
    firstName: 'string',
    lastName: 'string',
    phone: 'string',
    company: 'string',
    domain: 'string',
    website: 'string',
    country: 'string',
    region: 'string',
    city: 'string',
    industry: 'string',
    employees: 'number',
    annualRevenue: 'number',
    productInterest: 'string[]',
    source: 'string',
    'utm.source': 'string',
    'utm.medium': 'string',
    'utm.campaign': 'string',
    'utm.term': 'string',
    'utm.content': 'string',
    /** The conversion model's probability (0–1); absent while there is no model. */
    'predicted.conversion': 'number',
  },
  prefixes: ['signals.', 'custom.'],
}

// Path segments that would reach into an object's prototype rather than its data.
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor'])
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/

/** The field's type, or undefined when the catalogue does not know the path. */
export function fieldType(catalog: FieldCatalog, path: string): FieldType | undefined {
  const segments = path.split('.')
  if (segments.length > 8 || !segments.every((s) => SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))) return undefined
  const exact = catalog.exact[path]
  if (exact) return exact
  return catalog.prefixes.some((prefix) => path.startsWith(prefix) && path.length > prefix.length) ? 'any' : undefined
}

/** Reads a dotted path from plain data, own properties only. */
export function fieldReader(path: string): (record: unknown) => unknown {
  const segments = path.split('.')
  return (record) => {
    let value: unknown = record
    for (const segment of segments) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined
      value = (value as Record<string, unknown>)[segment]
    }
    return value
  }
}
