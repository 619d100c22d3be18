import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

// Deterministic (mulberry32): a failure names its seed and case number, and replays.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const FIELDS = [
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
  'utm',
  'signals',
  'custom',
  '__proto__',
  'constructor',
  'x',
]

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const text = () =>
    pick([
      '',
      ' ',
      'a',
      'DE',
      'xx',
      'de',
      'ZZ',
      'null',
      '0',
      '-1',
      'a@b',
      'a@b.c',
      'lead@acme.com',
      ' Lead@Acme.COM ',
      'x@localhost',
      '@acme.com',
      'acme.com',
      'https://www.acme.com',
      'javascript:alert(1)',
      '💥@😀.com',
      'ü@bücher.de',
      '\u0000',
      'a'.repeat(600),
      'b'.repeat(5000),
      '<script>',
      "'; drop table leads;--",
    ])
  const scalars: Array<() => unknown> = [
    text,
    () => Math.floor(next() * 2e6) - 1e6,
    () => next() * 1e20,
    () => next() < 0.5,
    () => null,
    () => -0,
    () => 1.5,
  ]
  const scalar = (): unknown => pick(scalars)()
  const value = (depth: number): unknown => {
    const roll = next()
    if (depth > 3 || roll < 0.55) return scalar()
    if (roll < 0.75) return Array.from({ length: Math.floor(next() * 6) }, () => value(depth + 1))
    return Object.fromEntries(
      Array.from({ length: Math.floor(next() * 5) }, () => [pick([...FIELDS, 'demoRequested', 'a.b', '']), value(depth + 1)]),
    )
  }
  /** Anything at all; a valid lead with one field gone wrong (or not); or a lead-shaped body of random values. */
  return (): unknown => {
    const mode = next()
    if (mode < 0.15) return value(0)
    if (mode < 0.5) {
      const valid: Record<string, unknown> = {
        email: `fuzz${Math.floor(next() * 50)}@acme${Math.floor(next() * 3)}.example`,
        company: 'Acme',
        employees: Math.floor(next() * 900),
        signals: { demoRequested: next() < 0.5 },
      }
      valid[pick(FIELDS)] = value(1)
      return valid
    }
    const body: Record<string, unknown> = {}
    for (const field of FIELDS) if (next() < 0.35) body[field] = value(1)
    if (next() < 0.6) body.email = next() < 0.5 ? `fuzz${Math.floor(next() * 50)}@acme${Math.floor(next() * 3)}.example` : text()
    return body
  }
}

t.test('1,000 random and malformed bodies: only 2xx or 4xx problems, never a stray row', async (t) => {
  const baton = await buildTestApp(t)
  const headers = { ...(await baton.auth('integration')), 'content-type': 'application/json' }
  const seed = 20261123
  const next = random(seed)
  const body = generator(next)
  const raw = [
    '',
    '{',
    '{"email":',
    'null',
    '[]',
    '"x"',
    '{"email":"a@b.example",}',
    '\u0000',
    '{"email":"a@b.example"}garbage',
    `{"email":"${'x'.repeat(2_000_000)}"}`,
  ]

  const created = new Set<string>()
  let problems = 0
  for (let i = 0; i < 1000; i++) {
    const payload = i < raw.length ? raw[i]! : JSON.stringify(body())
    const res = await baton.app.inject({ method: 'POST', url: '/v1/leads', headers, payload })
    if (res.statusCode === 200 || res.statusCode === 201) {
      created.add(res.json().lead.id)
      continue
    }
    problems++
    if (res.statusCode < 400 || res.statusCode > 499) {
      t.fail(`seed ${seed} case ${i}: status ${res.statusCode}`, { payload: payload.slice(0, 500), body: res.body.slice(0, 500) })
      continue
    }
    if (res.headers['content-type'] !== 'application/problem+json; charset=utf-8') t.fail(`case ${i}: not problem+json`)
  }
  t.ok(problems > 500, `most bodies are refused (${problems} of 1000)`)
  t.ok(created.size > 10, `some are real leads (${created.size})`)

  const { rows } = await baton.deps.pool.query(`
    select (select count(*) from leads)::int as leads,
           (select count(*) from events where lead_id is null or lead_id not in (select id from leads))::int as orphans,
           (select count(*) from leads l where not exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.received'))::int as unrecorded`)
  t.same(rows[0], { leads: created.size, orphans: 0, unrecorded: 0 }, 'exactly the leads that were answered 2xx, each with its events')
})

t.test('the inbound route: 1,000 random bodies through a source, same guarantees', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')
  // A token source, so random bodies get past authentication and reach mapping and validation.
  const source = (
    await baton.app.inject({
      method: 'POST',
      url: '/v1/sources',
      headers: admin,
      payload: {
        name: 'fuzz',
        kind: 'generic',
        auth: 'token',
        fieldMap: {
          email: 'email',
          company: 'company',
          employees: 'employees',
          country: 'country',
          'signals.demoRequested': 'signals.demoRequested',
          'custom.blob': 'x',
        },
      },
    })
  ).json()
  const seed = 77
  const next = random(seed)
  const body = generator(next)
  const created = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const payload = JSON.stringify(body())
    const headers: Record<string, string> = {
      'content-type': next() < 0.9 ? 'application/json' : 'text/plain',
      authorization: `Bearer ${source.secret}`,
      'webhook-id': `w${Math.floor(next() * 400)}`,
    }
    const res = await baton.app.inject({ method: 'POST', url: `/v1/inbound/${source.id}`, headers, payload })
    if (res.statusCode === 200 || res.statusCode === 201) created.add(res.json().leadId)
    else if (res.statusCode < 400 || res.statusCode > 499 || res.headers['content-type'] !== 'application/problem+json; charset=utf-8') {
      t.fail(`seed ${seed} case ${i}: status ${res.statusCode}`, { payload: payload.slice(0, 500), body: res.body.slice(0, 500) })
    }
  }
  t.ok(created.size > 10, `some are real leads (${created.size})`)
  const { rows } = await baton.deps.pool.query(`
    select (select count(*) from leads)::int as leads,
           (select count(*) from inbound_submissions where lead_id not in (select id from leads))::int as orphans`)
  t.same(rows[0], { leads: created.size, orphans: 0 })
})
