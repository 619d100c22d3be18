import t from 'tap'
import { DEFAULT_SCORING_MODEL } from '../../src/db/default-scoring-model.ts'
import { compileModel, score, type CompiledModel } from '../../src/modules/scoring/score.ts'
import { buildTestApp } from '../helpers/app.ts'
import type { ScoringModel } from '../../src/db/schema/json/scoring-model.ts'

function compiled(model: ScoringModel): CompiledModel {
  const result = compileModel(model)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.model
}

t.test('the default model decides every path', async (t) => {
  const model = compiled(DEFAULT_SCORING_MODEL)
  const cases: Array<[string, object, { outcome: string; tier: string | null; acceptWithinSeconds: number | null; score: number }]> = [
    [
      'demo request qualifies at once, tier demo',
      { email: 'a@acme.com', employees: 10, signals: { demoRequested: true } },
      { outcome: 'qualified', tier: 'demo', acceptWithinSeconds: 1800, score: 0 },
    ],
    [
      'demo request from a large company is high intent',
      { email: 'a@acme.com', employees: 600, signals: { demoRequested: true } },
      { outcome: 'qualified', tier: 'high', acceptWithinSeconds: 300, score: 20 },
    ],
    [
      'free mail is disqualified even with a demo request',
      { email: 'a@gmail.com', employees: 600, signals: { demoRequested: true } },
      { outcome: 'disqualified', tier: null, acceptWithinSeconds: null, score: 20 },
    ],
    [
      'free mail on a subdomain too',
      { email: 'a@mail.yahoo.com' },
      { outcome: 'disqualified', tier: null, acceptWithinSeconds: null, score: 0 },
    ],
    [
      'enough points qualify, standard tier',
      { email: 'a@acme.com', employees: 250, signals: { pricingPageViews: 3 } },
      { outcome: 'qualified', tier: 'standard', acceptWithinSeconds: 3600, score: 35 },
    ],
    [
      'exactly the threshold qualifies',
      { email: 'a@acme.com', employees: 250, source: 'referral' },
      { outcome: 'qualified', tier: 'standard', acceptWithinSeconds: 3600, score: 30 },
    ],
    [
      'mid-size, revenue and a phone add up to the threshold',
      { email: 'a@acme.com', employees: 100, annualRevenue: 10_000_000, phone: '+49 30 1' },
      { outcome: 'qualified', tier: 'standard', acceptWithinSeconds: 3600, score: 30 },
    ],
    [
      'five points short is nurtured',
      { email: 'a@acme.com', employees: 100, annualRevenue: 10_000_000 },
      { outcome: 'nurture', tier: null, acceptWithinSeconds: null, score: 25 },
    ],
    [
      'below the threshold is nurtured',
      { email: 'a@acme.com', employees: 60, productInterest: ['crm'] },
      { outcome: 'nurture', tier: null, acceptWithinSeconds: null, score: 15 },
    ],
    [
      'nothing known is nurtured with score 0',
      { email: 'a@acme.com' },
      { outcome: 'nurture', tier: null, acceptWithinSeconds: null, score: 0 },
    ],
  ]
  for (const [name, lead, expected] of cases) {
    const decision = score(model, lead)
    t.match(decision, { ...expected, qualified: expected.outcome === 'qualified' }, name)
  }
})

t.test('the decision lists every rule that fired, with its points', async (t) => {
  const decision = score(compiled(DEFAULT_SCORING_MODEL), {
    email: 'a@acme.com',
    employees: 250,
    annualRevenue: 20_000_000,
    phone: '1',
    signals: { pricingPageViews: 7 },
  })
  t.same(
    decision.reasons.filter((r) => r.kind === 'points').map((r) => [r.rule, r.points]),
    [
      ['large company', 20],
      ['revenue over 10M', 15],
      ['pricing page interest', 15],
      ['left a phone number', 5],
    ],
  )
  t.equal(decision.score, 55)
  t.match(decision.reasons.at(-2), { kind: 'threshold', detail: /55 reached the threshold 30/ })
  t.match(decision.reasons.at(-1), { kind: 'tier', rule: 'default', detail: /standard/ })
})

t.test('negative points, several disqualify reasons, first tier wins', async (t) => {
  const model = compiled({
    rules: [
      { name: 'student', when: { field: 'custom.role', op: 'eq', value: 'student' }, points: -50 },
      { when: { field: 'employees', op: 'gt', value: 0 }, points: 60 },
    ],
    qualifyAt: 50,
    disqualify: [
      { when: { field: 'domain', op: 'domainIn', value: ['rival.com'] }, reason: 'competitor' },
      { when: { field: 'country', op: 'in', value: ['KP'] }, reason: 'embargoed country' },
    ],
    fastLane: [],
    tiers: [
      { when: { field: 'employees', op: 'gte', value: 10 }, tier: 'high' },
      { when: { field: 'employees', op: 'gte', value: 1 }, tier: 'demo' },
    ],
    deadlines: { high: 60, demo: 120, standard: 600 },
  })
  t.match(score(model, { employees: 5, custom: { role: 'student' } }), { score: 10, outcome: 'nurture' })
  t.match(score(model, { employees: 50 }), {
    outcome: 'qualified',
    tier: 'high',
    acceptWithinSeconds: 60,
    reasons: [{ rule: 'rules[1]', points: 60 }],
  })
  const both = score(model, { employees: 50, domain: 'rival.com', country: 'KP' })
  t.equal(both.outcome, 'disqualified')
  t.same(
    both.reasons.filter((r) => r.kind === 'disqualify').map((r) => r.rule),
    ['competitor', 'embargoed country'],
  )
})

t.test('GET and PUT /v1/scoring', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')

  const fresh = await baton.app.inject({ url: '/v1/scoring', headers: admin })
  t.equal(fresh.statusCode, 200)
  t.same(
    fresh.json(),
    { version: 1, createdAt: fresh.json().createdAt, ...DEFAULT_SCORING_MODEL },
    'a fresh database starts with the default model, conditions intact',
  )

  const next = { ...DEFAULT_SCORING_MODEL, qualifyAt: 40 }
  const put = await baton.app.inject({ method: 'PUT', url: '/v1/scoring', headers: admin, payload: next })
  t.equal(put.statusCode, 200)
  t.match(put.json(), { version: 2, qualifyAt: 40, createdAt: baton.clock.now().toISOString() })
  t.match((await baton.app.inject({ url: '/v1/scoring', headers: admin })).json(), { version: 2, qualifyAt: 40 })

  const bad = {
    ...next,
    rules: [{ name: 'typo', when: { field: 'employes', op: 'gte', value: 10 }, points: 5 }],
    tiers: [{ when: { all: [{ field: 'country', op: 'gt', value: 1 }] }, tier: 'high' }],
  }
  const refused = await baton.app.inject({ method: 'PUT', url: '/v1/scoring', headers: admin, payload: bad })
  t.equal(refused.statusCode, 422)
  t.same(
    refused.json().errors.map((e: { pointer: string }) => e.pointer),
    ['/rules/0/when/field', '/tiers/0/when/all/0/op'],
  )
  const shape = await baton.app.inject({
    method: 'PUT',
    url: '/v1/scoring',
    headers: admin,
    payload: { ...next, deadlines: { high: 5, demo: 1800, standard: 3600 }, tiers: [{ when: {}, tier: 'urgent' }] },
  })
  t.equal(shape.statusCode, 422)
  t.same(
    shape
      .json()
      .errors.map((e: { pointer: string }) => e.pointer)
      .sort(),
    ['/deadlines/high', '/tiers/0/tier'],
  )
  t.equal((await baton.app.inject({ url: '/v1/scoring', headers: admin })).json().version, 2, 'nothing was published by the refused PUTs')

  const integration = await baton.auth('integration')
  t.equal((await baton.app.inject({ method: 'PUT', url: '/v1/scoring', headers: integration, payload: next })).statusCode, 403)

  const concurrent = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      baton.app.inject({ method: 'PUT', url: '/v1/scoring', headers: admin, payload: { ...next, qualifyAt: i } }),
    ),
  )
  t.same(
    concurrent.map((r) => r.statusCode),
    Array(6).fill(200),
    'concurrent publishes all succeed',
  )
  t.same(
    concurrent.map((r) => r.json().version).sort((a, b) => a - b),
    [3, 4, 5, 6, 7, 8],
    'each gets its own consecutive version',
  )
})
