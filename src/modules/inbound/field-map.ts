import { fieldReader } from '../conditions/fields.ts'

/** Lead fields a source may fill, besides any path under signals., custom. and utm. */
const LEAD_TARGETS = [
  'email',
  'firstName',
  'lastName',
  'phone',
  'company',
  'website',
  'country',
  'region',
  'city',
  'industry',
  'employees',
  'annualRevenue',
  'productInterest',
  'source',
]
const OPEN_TARGETS = /^(signals|custom|utm)\.[A-Za-z0-9_-]{1,64}$/
const NUMERIC = new Set(['employees', 'annualRevenue'])

/** Where the map's problems are, for a 422 on PUT/POST /v1/sources. */
export function checkFieldMap(map: Record<string, string>): Array<{ pointer: string; detail: string }> {
  const errors = Object.keys(map)
    .filter((target) => !LEAD_TARGETS.includes(target) && !OPEN_TARGETS.test(target))
    .map((target) => ({
      pointer: `/fieldMap/${target}`,
      detail: `"${target}" is not a lead field (${LEAD_TARGETS.join(', ')}, or signals.*, custom.*, utm.*)`,
    }))
  if (!('email' in map)) errors.push({ pointer: '/fieldMap', detail: 'must say where the email is (e.g. {"email": "contact.email"})' })
  return errors
}

/** The map a new source starts with: every lead field under its own name. */
export const DEFAULT_FIELD_MAP: Record<string, string> = Object.fromEntries(LEAD_TARGETS.filter((f) => f !== 'source').map((f) => [f, f]))

/**
 * Builds a lead body from submitted values. Form tools send text: numbers written as
 * text become numbers for numeric fields, and a single product becomes a list. What
 * is still wrong after that is for lead validation to point out.
 */
export function applyFieldMap(fields: Record<string, unknown>, map: Record<string, string>): Record<string, unknown> {
  const lead: Record<string, unknown> = {}
  for (const [target, path] of Object.entries(map)) {
    let value = fields[path] !== undefined ? fields[path] : fieldReader(path)(fields)
    if (value === undefined || value === null || value === '') continue
    if (NUMERIC.has(target) && typeof value === 'string' && /^\s*\d+\s*$/.test(value)) value = Number(value)
    if (target === 'productInterest' && typeof value === 'string') value = [value]
    const [group, key] = target.split('.') as [string, string | undefined]
    if (key) lead[group] = { ...(lead[group] as object | undefined), [key]: value }
    else lead[target] = value
  }
  return lead
}
