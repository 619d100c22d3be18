// The world the fuzz aims at, made through the API as an admin would: two reps, a team,
// an account, a routing rule that gives every lead to rep B with a week to accept (so no
// deadline fires while the fuzz runs), one lead waiting for B and one B has accepted (so
// B owns a lead and a task), a form source and a webhook endpoint. Rep A's token against
// B's resources is the "other rep's ids" case. Then each route's roles are probed.
import { SignJWT, UnsecuredJWT } from 'jose'
import { LOCAL_AUDIENCE, LOCAL_ISSUER, signToken, type Role } from '../src/lib/auth-keys.ts'
import type { Hint, Route } from './fuzz-spec.ts'

/** Valid tokens by who holds them, and tokens that must be refused. */
export interface Tokens {
  admin: string
  integration: string
  /** Rep A: the one acting on B's resources. */
  repA: string
  repB: string
  /** Each must be answered 401. */
  unauthenticated: Record<string, string>
  /** Each is a valid signature whose claims must be answered 403 on every route. */
  forbidden: Record<string, string>
}

/** Ids the fuzz puts in paths, and what the fixtures could not make. */
export interface Fixtures {
  tokens: Tokens
  repA: string
  repB: string
  /** An existing resource per first path segment after /v1 (reps → rep A, leads → B's accepted lead, …). */
  ids: Record<string, string>
  /** Rep B's resource per first path segment, for requests with rep A's token. */
  otherRep: Record<string, string>
  /** Values that make a sampled body valid where the schema alone can't. */
  hint: Hint
  notes: string[]
}

const WEEK_SECONDS = 604_800

/** Creates the fixtures through the API; throws when a step the fuzz depends on fails. */
export async function createFixtures(base: string, secret: string, seed: number): Promise<Fixtures> {
  const key = new TextEncoder().encode(secret)
  const admin = await signToken(key, { role: 'admin', ttl: '2h' })
  const tag = `${seed}-${Date.now().toString(36)}`
  const notes: string[] = []
  const call = async (method: string, path: string, body: object | undefined, token = admin) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`fixture ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>
  }
  const idOf = (value: Record<string, unknown>) => String(value.id)

  const repA = idOf(await call('POST', '/v1/reps', { name: 'Fuzz rep A', email: `fuzz-a-${tag}@acme-fuzz.io`, timezone: 'Europe/Berlin' }))
  const repB = idOf(
    await call('POST', '/v1/reps', { name: 'Fuzz rep B', email: `fuzz-b-${tag}@acme-fuzz.io`, timezone: 'America/New_York' }),
  )
  const team = idOf(
    await call('POST', '/v1/teams', { name: `Fuzz team ${tag}`, strategy: 'round_robin', members: [{ repId: repA }, { repId: repB }] }),
  )
  const account = idOf(await call('POST', '/v1/accounts', { name: 'Fuzz account', domains: [`fuzz-${tag}.example`], ownerId: repA }))
  await call('PUT', '/v1/routing', {
    rules: [{ name: 'everything to B', assign: { type: 'rep', repId: repB }, acceptWithinSeconds: WEEK_SECONDS }],
    fallback: null,
  })
  const tokens = await mintTokens(key, admin, repA, repB)

  // Size and revenue qualify both leads at the standard tier (no demo: its first-contact task would fall due sooner).
  const lead = { company: 'Acme Fuzz', employees: 500, annualRevenue: 20_000_000 }
  const pending = await call('POST', '/v1/leads', { email: `pending-${tag}@acme-fuzz.io`, ...lead })
  const accepted = await call('POST', '/v1/leads', { email: `accepted-${tag}@acme-fuzz.io`, ...lead })
  const pendingHandoff = (pending.handoff as { id?: string } | null)?.id
  const acceptedHandoff = (accepted.handoff as { id?: string } | null)?.id
  if (!pendingHandoff || !acceptedHandoff) throw new Error('fixture leads were not routed to rep B; the routing rule did not apply')
  await call('POST', `/v1/handoffs/${acceptedHandoff}/accept`, undefined, tokens.repB)
  const tasks = await call('GET', `/v1/tasks?repId=${repB}`, undefined)
  const task = (tasks.data as Array<{ id: string }>)[0]?.id
  if (!task) notes.push('accepting a handoff made no task: task routes are fuzzed with unknown ids only')
  const source = idOf(await call('POST', '/v1/sources', { name: 'Fuzz form', kind: 'generic' }))
  // Last, so no fixture event becomes a delivery: any delivery after this point comes from a fuzz request.
  const endpoint = await call('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/fuzz-hook' }).then(idOf, (error: Error) => {
    notes.push(`no webhook endpoint fixture (${error.message.slice(0, 120)}): its routes are fuzzed with unknown ids only`)
    return undefined
  })

  const acceptedLead = idOf(accepted.lead as Record<string, unknown>)
  const ids: Record<string, string> = {
    reps: repA,
    teams: team,
    accounts: account,
    leads: acceptedLead,
    handoffs: pendingHandoff,
    sources: source,
    inbound: source,
    routing: '1',
  }
  if (task) ids.tasks = task
  if (endpoint) ids['webhook-endpoints'] = endpoint
  const otherRep: Record<string, string> = { reps: repB, handoffs: pendingHandoff, leads: acceptedLead }
  if (task) otherRep.tasks = task

  let serial = 0
  const hint: Hint = (name, schema) => {
    if (schema.type !== 'string' && schema.type !== 'array' && schema.type !== 'object' && !schema.anyOf) return undefined
    switch (name) {
      case 'email':
        return `fuzz-${tag}-${++serial}@acme-fuzz.io`
      case 'timezone':
        return 'Europe/Berlin'
      case 'url':
        return 'http://127.0.0.1:9/fuzz-hook'
      case 'website':
        return 'https://acme-fuzz.io'
      case 'country':
        return 'DE'
      case 'repId':
      case 'ownerId':
      case 'managerId':
        return repA
      case 'teamId':
        return team
      case 'domains':
        return [`fuzz-${tag}-${++serial}.example`]
      case 'members':
        return [{ repId: repA, weight: 1 }]
      case 'when':
        return { field: 'country', op: 'eq', value: 'DE' }
      case 'reason':
        return 'fuzz reason'
      case 'name':
        return `Fuzz ${++serial}`
      default:
        return undefined
    }
  }
  return { tokens, repA, repB, ids, otherRep, hint, notes }
}

async function mintTokens(key: Uint8Array, admin: string, repA: string, repB: string): Promise<Tokens> {
  const now = Math.floor(Date.now() / 1000)
  const claims = (role: string, sub?: string) => {
    const jwt = new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
    return sub ? jwt.setSubject(sub) : jwt
  }
  const valid = await signToken(key, { role: 'admin' })
  const [header = '', payload = ''] = valid.split('.')
  return {
    admin,
    integration: await signToken(key, { role: 'integration', ttl: '2h' }),
    repA: await signToken(key, { role: 'rep', sub: repA, ttl: '2h' }),
    repB: await signToken(key, { role: 'rep', sub: repB, ttl: '2h' }),
    unauthenticated: {
      none: '',
      empty_bearer: 'Bearer ',
      basic: 'Basic YWRtaW46YWRtaW4=',
      garbage: 'Bearer not.a.jwt',
      not_base64: 'Bearer ###.$$$.%%%',
      latin1: 'Bearer \u00e9\u00e8\u00ff',
      expired: `Bearer ${await signToken(key, { role: 'admin', ttl: 60, now: new Date(Date.now() - 2 * 3_600_000) })}`,
      not_yet: `Bearer ${await claims('admin')
        .setNotBefore(now + 3600)
        .sign(key)}`,
      wrong_secret: `Bearer ${await signToken(new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256'), { role: 'admin' })}`,
      wrong_issuer: `Bearer ${await claims('admin').setIssuer('someone-else').sign(key)}`,
      wrong_audience: `Bearer ${await claims('admin').setAudience('another-api').sign(key)}`,
      alg_none: `Bearer ${new UnsecuredJWT({ role: 'admin' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime(now + 3600)
        .encode()}`,
      tampered: `Bearer ${header}.${Buffer.from(JSON.stringify({ role: 'admin', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: now + 3600 })).toString('base64url')}.${valid.split('.')[2] ?? ''}`,
      alg_swap: `Bearer ${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${payload}.AAAA`,
      long: `Bearer ${'a'.repeat(8000)}`,
    },
    forbidden: {
      unknown_role: await claims('superuser').sign(key),
      no_role: await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime(now + 3600)
        .sign(key),
      rep_without_sub: await claims('rep').sign(key),
      rep_bad_sub: await claims('rep', 'not-a-uuid').sign(key),
      role_array: await new SignJWT({ role: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime(now + 3600)
        .sign(key),
    },
  }
}

export const routeKey = (route: Route) => `${route.method} ${route.path}`

/**
 * Which roles each route lets in, found by asking: each role sends a request that is
 * invalid once past authentication (a non-UUID id, a required query parameter left out,
 * limit=0, or a body of the wrong type), so a 403 means "not this role" and anything else
 * means the role got through. A GET with nothing to spoil is sent as it is (it reads
 * only). The same request without a token tells whether the route is public after all.
 */
export async function probeRoles(base: string, routes: Route[], fixtures: Fixtures): Promise<Map<string, Set<Role>>> {
  const result = new Map<string, Set<Role>>()
  const tokens: Record<Role, string> = { admin: fixtures.tokens.admin, integration: fixtures.tokens.integration, rep: fixtures.tokens.repA }
  for (const route of routes.filter((r) => !r.public)) {
    let path = route.path.replace(/\{[^}]+\}/g, 'not-a-valid-id')
    let body: string | undefined
    const spoiled = route.params.length > 0 || route.query.some((q) => q.required)
    if (!spoiled && route.query.some((q) => q.name === 'limit')) path += '?limit=0'
    else if (!spoiled && route.body) body = '[]'
    else if (!spoiled && route.method !== 'GET') {
      result.set(routeKey(route), new Set(['admin']))
      fixtures.notes.push(`${routeKey(route)}: no safe way to probe its roles; fuzzed as admin-only`)
      continue
    }
    const status = async (token: string | undefined) => {
      const res = await fetch(`${base}${path}`, {
        method: route.method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body } : {}),
      })
      await res.arrayBuffer()
      return res.status
    }
    if ((await status(undefined)) !== 401) {
      route.public = true
      fixtures.notes.push(`${routeKey(route)}: answers without a token, though openapi.json gives it no \`security: []\`; fuzzed as public`)
      continue
    }
    const allowed = new Set<Role>()
    for (const role of ['admin', 'integration', 'rep'] as const) if ((await status(tokens[role])) !== 403) allowed.add(role)
    if (!allowed.has('admin')) fixtures.notes.push(`${routeKey(route)}: refuses admin tokens (403)`)
    result.set(routeKey(route), allowed)
  }
  return result
}
