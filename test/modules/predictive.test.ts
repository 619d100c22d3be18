// Outcomes in, a conversion model out: reported through the API, trained on demand,
// refused below the minimum, and every lead scored afterwards carries an explained
// prediction that scoring rules can act on.
import t from 'tap'
import { trainingSamples } from '../../src/modules/predictive/predictive.repo.ts'
import { DEFAULT_SCORING_MODEL } from '../../src/db/default-scoring-model.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'

t.test('outcomes, training and predictions', async (t) => {
  const baton = await buildTestApp(t, { env: { PREDICTIVE_MIN_SAMPLES: '40', ROLE: 'api' } })
  const { call, ok, sql } = apiClient(baton)
  let n = 0
  const lead = async (industry: string, extra: object = {}) =>
    (await ok('POST', '/v1/leads', { email: `buyer${++n}@${industry}${n}.example`, industry, country: 'DE', ...extra }, 201, 'integration'))
      .lead
  const report = (id: string, body: object, role: 'integration' | 'admin' | 'rep' = 'integration') =>
    call('POST', `/v1/leads/${id}/outcome`, body, role)

  t.test('no model before there are enough outcomes, and nothing pretends otherwise', async (t) => {
    t.same(await ok('GET', '/v1/predictive', undefined, 200, 'integration'), {
      model: null,
      outcomes: { won: 0, lost: 0, total: 0 },
      minimumSamples: 40,
    })
    const refused = await call('POST', '/v1/predictive/train')
    t.equal(refused.statusCode, 422)
    t.match(refused.json(), { detail: /at least 40 leads with an outcome; there are 0/, samples: 0, minimum: 40 })
    t.notOk('predicted' in (await lead('fintech')).decision, 'a lead scored without a model has no prediction')
  })

  t.test('POST /v1/leads/:id/outcome: won or lost, once per change, with its event', async (t) => {
    const one = await lead('saas')
    const won = await report(one.id, { result: 'won', amount: 12000, closedAt: '2026-01-05T08:00:00.000Z' })
    t.equal(won.statusCode, 200)
    t.match(won.json(), { id: one.id, outcome: { result: 'won', amount: 12000, closedAt: '2026-01-05T08:00:00.000Z' } })
    t.equal(
      (await report(one.id, { result: 'won', amount: 12000, closedAt: '2026-01-05T08:00:00.000Z' })).statusCode,
      200,
      'the same again',
    )
    const lost = await report(one.id, { result: 'lost' })
    t.match(
      lost.json(),
      { outcome: { result: 'lost', amount: null, closedAt: baton.clock.now().toISOString() } },
      'a changed result replaces it',
    )
    const events = await sql<{ type: string; data: { outcome: string; amount: number | null } }>(
      `select type, data from events where lead_id = $1 and type in ('lead.won', 'lead.lost') order by position`,
      [one.id],
    )
    t.match(
      events,
      [
        { type: 'lead.won', data: { outcome: 'won', amount: 12000 } },
        { type: 'lead.lost', data: { outcome: 'lost', amount: null } },
      ],
      'one event per change',
    )
    t.equal((await report('01900000-0000-7000-8000-000000000000', { result: 'won' })).statusCode, 404)
    t.match((await report(one.id, { result: 'won', closedAt: '2027-01-01T00:00:00Z' })).json(), {
      status: 422,
      errors: [{ pointer: '/closedAt' }],
    })
    t.equal((await report(one.id, { result: 'maybe' })).statusCode, 422)
    t.equal((await report(one.id, { result: 'won', amount: -1 })).statusCode, 422)
    t.equal((await report(one.id, { result: 'won' }, 'rep')).statusCode, 403, 'reps do not report deals')
  })

  t.test('trained on a planted history: fintech wins, retail loses, explained', async (t) => {
    // 24 fintech leads, 20 won; 24 retail leads, 2 won (plus the saas and fintech leads above, one lost, one without outcome).
    for (let i = 0; i < 24; i++) await report((await lead('fintech')).id, { result: i < 20 ? 'won' : 'lost' })
    for (let i = 0; i < 24; i++) await report((await lead('retail')).id, { result: i < 2 ? 'won' : 'lost' })
    const state = await ok('GET', '/v1/predictive', undefined, 200, 'integration')
    t.same(state.outcomes, { won: 22, lost: 27, total: 49 })
    for (const [pageSize, sizes] of [
      [10, [10, 10, 10, 10, 9]],
      [7, [7, 7, 7, 7, 7, 7, 7]],
      [49, [49]],
      [100, [49]],
    ] as const) {
      const pages: number[] = []
      let wins = 0
      await baton.deps.db.transaction(async (tx) => {
        for await (const page of trainingSamples(tx, pageSize)) {
          pages.push(page.length)
          wins += page.filter((s) => s.won).length
        }
      })
      t.same({ pages, wins }, { pages: sizes, wins: 22 }, `training reads ${pageSize} leads a page, each once`)
    }
    await baton.deps.db.transaction(async (tx) => {
      for await (const page of trainingSamples(tx, 10)) if (page.length) break
      let read = 0
      for await (const page of trainingSamples(tx, 10)) read += page.length
      t.equal(read, 49, 'a reader that stops early leaves no cursor behind: the next one reads everything')
      await t.rejects(trainingSamples(tx, 0).next(), RangeError, 'a page of 0 is refused')
    })

    const trained = await ok('POST', '/v1/predictive/train', { seed: 3 }, 200)
    t.match(trained, { version: 1, samples: 49, seed: 3, baselineRate: 0.449, trainedAt: baton.clock.now().toISOString() })
    t.ok(trained.auc >= 0.8, `held-out AUC ${trained.auc}`)
    t.match(
      trained.topFeatures
        .slice(0, 2)
        .map((f: { feature: string }) => f.feature)
        .sort(),
      ['industry=fintech', 'industry=retail'],
    )
    t.same((await ok('GET', '/v1/predictive', undefined, 200)).model, trained, 'now live')
    const again = await ok('POST', '/v1/predictive/train', { seed: 3 }, 200)
    t.same(
      { ...again, version: 1, trainedAt: trained.trainedAt },
      trained,
      'the same samples and seed train the same model (the next version)',
    )
    t.equal(again.version, 2)

    const fintech = await lead('fintech')
    const retail = await lead('retail')
    t.match(fintech.decision.predicted, { model: 2, drivers: [{ feature: 'industry=fintech', direction: 'up' }] })
    t.match(retail.decision.predicted, { model: 2, drivers: [{ feature: 'industry=retail', direction: 'down' }] })
    t.ok(
      fintech.decision.predicted.conversion > 0.6 && retail.decision.predicted.conversion < 0.2,
      `fintech ${fintech.decision.predicted.conversion}, retail ${retail.decision.predicted.conversion}`,
    )
  })

  t.test('scoring rules can act on predicted.conversion', async (t) => {
    const model = {
      ...DEFAULT_SCORING_MODEL,
      rules: [
        ...DEFAULT_SCORING_MODEL.rules,
        { name: 'likely to convert', when: { field: 'predicted.conversion', op: 'gte', value: 0.5 }, points: 40 },
      ],
    }
    await ok('PUT', '/v1/scoring', model, 200)
    const fintech = await lead('fintech')
    const retail = await lead('retail')
    t.match(
      fintech.decision,
      { qualified: true, reasons: [{ kind: 'points', rule: 'likely to convert', points: 40 }] },
      'the likely one qualifies on it',
    )
    t.notOk(retail.decision.reasons.some((r: { rule: string }) => r.rule === 'likely to convert'))
    const invalid = await call('PUT', '/v1/scoring', {
      ...model,
      rules: [{ name: 'typo', when: { field: 'predicted.conversio', op: 'gte', value: 0.5 }, points: 1 }],
    })
    t.equal(invalid.statusCode, 422, 'a misspelt field is refused')
  })

  t.test('routing rules can act on predicted.conversion, and simulations see the same prediction', async (t) => {
    const rep = await ok('POST', '/v1/reps', { name: 'Closer', email: 'closer@baton.example', timezone: 'UTC' }, 201)
    const team = await ok('POST', '/v1/teams', { name: 'Closers', strategy: 'round_robin', members: [{ repId: rep.id }] }, 201)
    await ok(
      'PUT',
      '/v1/routing',
      {
        rules: [
          {
            name: 'likely buyers',
            when: { field: 'predicted.conversion', op: 'gte', value: 0.5 },
            assign: { type: 'team', teamId: team.id },
          },
        ],
        fallback: null,
      },
      200,
    )
    const demo = { signals: { demoRequested: true } }
    const simulated = await ok(
      'POST',
      '/v1/routing/simulate',
      { lead: { email: 'sim@fintech-sim.example', industry: 'fintech', ...demo } },
      200,
    )
    t.match(simulated.decision, { outcome: 'assigned', rule: 'likely buyers', repId: rep.id }, 'simulated with the prediction')
    t.match(
      (await ok('POST', '/v1/routing/simulate', { lead: { email: 'sim@retail-sim.example', industry: 'retail', ...demo } }, 200)).decision,
      { outcome: 'unroutable' },
    )
    const posted = await ok('POST', '/v1/leads', { email: 'real@fintech-real.example', industry: 'fintech', ...demo }, 201, 'integration')
    t.match(posted.routing, { outcome: 'assigned', rule: 'likely buyers', repId: rep.id }, 'and ingestion agrees')
  })
})
