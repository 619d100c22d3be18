// Turns routes into bad requests: every (route, defect) pair, in an order and with variants
// drawn from the seeded generator, so the same seed gives the same requests (ids aside: the
// fixtures are new each run). Each request carries one defect on an otherwise plausible call.
import type { Role } from '../src/lib/auth-keys.ts'
import { bodyCases, paramValid, pick, unsignedCases, type BodyCase } from './fuzz-bodies.ts'
import { routeKey, type Fixtures } from './fuzz-fixtures.ts'
import { sample, type Param, type Route } from './fuzz-spec.ts'

/** One request to send and what a correct answer looks like. */
export interface FuzzRequest {
  method: string
  /** The OpenAPI path template, for the report. */
  route: string
  /** Path and query, already percent-encoded. */
  url: string
  headers: Record<string, string>
  body: string | Buffer | undefined
  mutation: string
  /** The statuses the README promises for this defect; undefined: any 4xx. */
  expect: number[] | undefined
  /** The accept-link page answers browsers with HTML; its operation declares no problem answers. */
  htmlAllowed: boolean
}

type Rnd = () => number
type Maker = (rnd: Rnd) => FuzzRequest | undefined

interface Base {
  path: Record<string, string>
  query: Record<string, string>
  headers: Record<string, string>
  body: unknown
  role: Role
}

const UUID_BAD = [
  'not-a-uuid',
  '123',
  '-1',
  '%00',
  '%20',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%EF%BF%BD',
  "'%20OR%201%3D1--",
  '..%2F..%2Fetc%2Fpasswd',
  '%7Bid%7D',
  'null',
  'undefined',
  '%ED%A0%80',
  '%zz',
  'x'.repeat(300),
  'x'.repeat(20_000),
]
const INT_BAD = ['abc', '-1', '0', '1.5', '%00', '%F0%9F%98%80', 'NaN', 'Infinity', '0x10', 'x'.repeat(300)]
const INT_MISSING = ['99999', '2147483647', '2147483648', '99999999999999999999']
const CURSOR_BAD = [
  'garbage',
  '!!!',
  '%00',
  Buffer.from('{"after":"nope"}').toString('base64url'),
  Buffer.from('[1,2]').toString('base64url'),
  Buffer.from('{"after":1}').toString('base64url'),
  Buffer.from('{"position":"x"}').toString('base64url'),
  '%ED%A0%80',
]
const TOKEN_BAD = ['garbage', 'eyJhbGciOiJub25lIn0.eyJoYW5kb2ZmSWQiOiJ4In0.', 'a.b.c', 'x'.repeat(4097), '%00', '%F0%9F%98%80']
// Parameters whose text the schema cannot judge: only the service knows what it issued.
const OPAQUE = new Set(['cursor', 'after', 'token'])

/** The request makers for one route: auth, path, query, header and body defects that apply to it. */
export function makersFor(
  route: Route,
  roles: Set<Role> | undefined,
  fixtures: Fixtures,
  rndUuid: () => string,
  unusedMethods: string[],
): Maker[] {
  const segment = route.path.split('/')[2] ?? ''
  const allowed = roles ?? new Set<Role>()
  const tokenOf = (role: Role) =>
    role === 'admin' ? fixtures.tokens.admin : role === 'integration' ? fixtures.tokens.integration : fixtures.tokens.repB
  const schemaBody = route.body
  const base = (rnd: Rnd): Base => {
    // Mostly admin; sometimes another role the route allows (a rep acts as B, who owns the fixtures).
    const others = [...allowed].filter((r) => r !== 'admin')
    const role: Role =
      allowed.has('admin') && (others.length === 0 || rnd() < 0.7) ? 'admin' : pick(rnd, others.length ? others : ['admin'])
    const path = Object.fromEntries(
      route.params.map((p) => [p.name, fixtures.ids[segment] ?? (p.schema.type === 'integer' ? '1' : rndUuid())]),
    )
    const query = Object.fromEntries(route.query.filter((q) => q.required).map((q) => [q.name, String(sample(q.schema, () => undefined))]))
    const headers: Record<string, string> = { accept: 'application/json' }
    if (!route.public) headers.authorization = `Bearer ${tokenOf(role)}`
    return { path, query, headers, body: schemaBody ? sample(schemaBody, fixtures.hint) : undefined, role }
  }
  const build = (b: Base, mutation: string, expect: number[] | undefined, override: Partial<BodyCase> = {}): FuzzRequest => {
    let url = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => b.path[name] ?? '')
    const query = Object.entries(b.query).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x: string) => `${encodeURIComponent(k)}=${x}`),
    )
    if (query.length) url += `?${query.join('&')}`
    const body = 'body' in override ? override.body : b.body === undefined ? undefined : JSON.stringify(b.body)
    const contentType = 'contentType' in override ? override.contentType : body === undefined ? null : 'application/json'
    const headers = { ...b.headers, ...(contentType ? { 'content-type': contentType } : {}) }
    return { method: route.method, route: route.path, url, headers, body, mutation, expect, htmlAllowed: !route.declares4xx }
  }
  const makers: Maker[] = []

  if (!route.public) {
    const refused = (['admin', 'integration', 'rep'] as const).filter((r) => !allowed.has(r))
    makers.push((rnd) => {
      const b = base(rnd)
      const [name, value] = pick(rnd, Object.entries(fixtures.tokens.unauthenticated))
      if (value) b.headers.authorization = value
      else delete b.headers.authorization
      return build(b, `auth ${name}`, [401])
    })
    makers.push((rnd) => {
      const b = base(rnd)
      const [name, value] = pick(rnd, Object.entries(fixtures.tokens.forbidden))
      b.headers.authorization = `Bearer ${value}`
      return build(b, `auth ${name}`, [403])
    })
    if (refused.length) {
      makers.push((rnd) => {
        const b = base(rnd)
        const role = pick(rnd, refused)
        b.headers.authorization = `Bearer ${role === 'rep' ? fixtures.tokens.repA : tokenOf(role)}`
        return build(b, `wrong_role ${role}`, [403])
      })
    }
    const other = fixtures.otherRep[segment]
    if (allowed.has('rep') && other && route.params.some((p) => p.name === 'id')) {
      makers.push((rnd) => {
        const b = base(rnd)
        b.headers.authorization = `Bearer ${fixtures.tokens.repA}`
        b.path.id = other
        return build(b, 'other_rep id', [403, 404])
      })
    }
    if (allowed.has('rep') && route.query.some((q) => q.name === 'repId')) {
      makers.push((rnd) => {
        const b = base(rnd)
        b.headers.authorization = `Bearer ${fixtures.tokens.repA}`
        b.query.repId = fixtures.repB
        return build(b, 'other_rep ?repId', [403])
      })
    }
  }

  for (const param of route.params) {
    const integer = param.schema.type === 'integer'
    makers.push((rnd) => {
      const b = base(rnd)
      const value = pick(rnd, integer ? INT_BAD : UUID_BAD)
      if (paramValid(param.schema, decoded(value))) return undefined
      b.path[param.name] = value
      const expect = value.length > 10_000 ? [400, 414, 431] : value.length > 100 ? [400, 414] : [400]
      return build(b, `path ${param.name}=${describe(value)}`, expect)
    })
    makers.push((rnd) => {
      const b = base(rnd)
      b.path[param.name] = integer ? pick(rnd, INT_MISSING) : rndUuid()
      // Past the parameter's own range (2147483648 for an int4 version) it is a bad path, not a missing thing.
      if (!paramValid(param.schema, decoded(b.path[param.name]!)))
        return build(b, `path ${param.name}=${b.path[param.name]} (out of range)`, [400])
      // A rep may be told 403 before the lookup: it may only ever see its own.
      return build(b, `unknown ${param.name}=${b.path[param.name]}`, b.role === 'rep' ? [403, 404, 422] : [404, 422])
    })
  }

  if (route.query.length) {
    makers.push((rnd) => {
      const b = base(rnd)
      const param = pick(rnd, route.query)
      const bad = badQueryValues(param)
      if (!bad.length) return undefined
      const value = pick(rnd, bad)
      ;(b.query as Record<string, string | string[]>)[param.name] = value
      return build(b, `query ${param.name}=${describe(Array.isArray(value) ? value.join('&') : value)}`, [400])
    })
    // The accept link lets unknown parameters through on purpose (mail tools append utm_*).
    if (!route.public) {
      makers.push((rnd) => {
        const b = base(rnd)
        const name = pick(rnd, ['unknown', 'limit2', 'LIMIT', '%E2%80%AEx', 'a[b]', '__proto__'])
        Object.defineProperty(b.query, decoded(name), { value: '1', enumerable: true }) // `__proto__` as an own key
        return build(b, `query unknown ${describe(name)}`, [400])
      })
    }
    for (const required of route.query.filter((q) => q.required)) {
      makers.push((rnd) => {
        const b = base(rnd)
        delete b.query[required.name]
        return build(b, `query missing ${required.name}`, [400])
      })
    }
  }

  for (const header of route.headers) {
    makers.push((rnd) => {
      const b = base(rnd)
      const value = pick(rnd, ['has space', 'x'.repeat(256), '', '\u00e9\u00e8', 'a"b', '"', '\t'])
      if (paramValid(header.schema, value.trim())) return undefined
      b.headers[header.name] = value
      return build(b, `header ${header.name}=${describe(value)}`, [400])
    })
  }

  // A method the path does not have (given once per path, with the first of its operations).
  if (unusedMethods.length) {
    makers.push((rnd) => {
      const method = pick(rnd, unusedMethods)
      const request = build(base(rnd), `method ${method}`, [404, 405])
      return { ...request, method, ...(method === 'GET' ? { body: undefined } : {}) }
    })
  }

  const cases = schemaBody
    ? bodyCases(schemaBody, sample(schemaBody, fixtures.hint), sample(schemaBody, fixtures.hint, true), {
        storesText: !route.writesNothing,
        creates: route.method === 'POST' && route.params.length === 0,
      })
    : route.public && route.method === 'POST' && route.params.length
      ? unsignedCases()
      : []
  for (const make of cases) {
    makers.push((rnd) => {
      const c = make(rnd)
      if (!c) return undefined
      const b = base(rnd)
      Object.assign(b.headers, c.headers)
      return build(b, c.mutation, c.expect, { body: c.body, contentType: c.contentType })
    })
  }
  return makers
}

/** Values of a query parameter that its schema refuses (or, for opaque tokens and cursors, that the service never issued). */
function badQueryValues(param: Param): Array<string | string[]> {
  if (OPAQUE.has(param.name)) return param.name === 'token' ? TOKEN_BAD : CURSOR_BAD
  const s = param.schema
  const candidates: Array<string | string[]> = [
    '-1',
    '0',
    '1.5',
    'abc',
    '',
    'NaN',
    '1e400',
    '%00',
    '%F0%9F%98%80',
    '%E2%80%AE',
    '%ED%A0%80',
    '%zz',
    'not-an-email',
    'yesterday',
    '2026-13-45T25:61:00Z',
    '2026-01-01',
    'nope',
    '01900000-0000-7000-8000-00000000000g',
    'BOGUS',
    ['1', '2'],
  ]
  if (s.maximum !== undefined) candidates.push(String(s.maximum + 1))
  if (s.maxLength !== undefined) candidates.push('x'.repeat(s.maxLength + 1))
  for (const branch of s.anyOf ?? [])
    for (const v of branch.enum ?? []) candidates.push(`%E2%80%AE${String(v)}`, `${String(v).toUpperCase()}`, `${String(v)}%00`)
  return candidates.filter((v) => !paramValid(s, Array.isArray(v) ? v : decoded(v)))
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

const describe = (value: string) =>
  value.length > 40 ? `${JSON.stringify(value.slice(0, 12))}…(${value.length} chars)` : JSON.stringify(value)

/**
 * `count` requests: every (route, defect) pair in a seeded shuffle, round after round, so
 * 2,000 requests try each pair about three times. Returns the routes with nothing to
 * spoil (public, no input).
 */
export function generate(
  count: number,
  rnd: Rnd,
  routes: Route[],
  roles: Map<string, Set<Role>>,
  fixtures: Fixtures,
): { requests: FuzzRequest[]; skipped: string[] } {
  const rndUuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('')
    return `0190${hex.slice(4, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  }
  const table = routes.map((route, i) => {
    const siblings = routes.filter((r) => r.path === route.path)
    // A method the path has under another template that matches it (/v1/reps/me is also /v1/reps/{id}) is not unused.
    const served = (method: string) => routes.some((r) => r.method === method && templateMatches(r.path, route.path))
    const unused = siblings[0] === routes[i] ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !served(m)) : []
    return { route, makers: makersFor(route, roles.get(routeKey(route)), fixtures, rndUuid, unused) }
  })
  const skipped = table.filter((t) => t.makers.length === 0).map((t) => routeKey(t.route))
  const pairs = table.flatMap((t) => t.makers)
  const requests: FuzzRequest[] = []
  let round: Maker[] = []
  for (let attempts = 0; requests.length < count && attempts < count * 10 && pairs.length; attempts++) {
    if (round.length === 0) round = shuffle(rnd, pairs)
    const make = round.pop()!
    // A draw that came out valid (a variant the schema happens to accept) is drawn again, a few times.
    for (let tries = 0; tries < 5; tries++) {
      const made = make(rnd)
      if (made) {
        requests.push(made)
        break
      }
    }
  }
  return { requests, skipped }
}

function shuffle<T>(rnd: Rnd, items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** Whether the OpenAPI path `template` also matches the path `path` (each {param} matches any one segment). */
function templateMatches(template: string, path: string): boolean {
  const [a, b] = [template.split('/'), path.split('/')]
  return a.length === b.length && a.every((segment, i) => segment === b[i] || /^\{[^}]+\}$/.test(segment))
}
