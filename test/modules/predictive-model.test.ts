// The conversion model on synthetic histories with a planted structure: it must find the
// structure, rank held-out leads with AUC ≥ 0.8, explain itself, and be deterministic.
import t from 'tap'
import { seeded } from '../../src/lib/random.ts'
import { auc, featuresOf, fit, predict, sizeBucket, train, type LeadFeatures, type Sample } from '../../src/modules/predictive/model.ts'

const lead = (over: Partial<LeadFeatures>): LeadFeatures => ({
  industry: null,
  country: null,
  employees: null,
  source: null,
  productInterest: [],
  signals: {},
  ...over,
})

/** fintech converts at 80 %, retail at 10 %, saas at 40 %; the rest is noise. */
function history(count: number, seed: number): Sample[] {
  const random = seeded(seed)
  const industries: Array<[string, number]> = [
    ['fintech', 0.8],
    ['retail', 0.1],
    ['saas', 0.4],
  ]
  const countries = ['DE', 'US', 'FR', 'GB']
  return Array.from({ length: count }, () => {
    const [industry, rate] = industries[Math.floor(random() * industries.length)]!
    const features = featuresOf(
      lead({
        industry,
        country: countries[Math.floor(random() * 4)]!,
        employees: Math.floor(random() * 2000),
        source: random() < 0.5 ? 'web' : 'event',
      }),
    )
    return { features, won: random() < rate }
  })
}

t.test('features: what an admin sees, bucketed and normalised', async (t) => {
  t.same(
    featuresOf(
      lead({
        industry: ' FinTech ',
        country: 'de',
        employees: 120,
        source: 'Web',
        productInterest: ['API', 'api', 'Billing'],
        signals: { demoRequested: true, pricingViews: 3, newsletter: false, visits: 0 },
      }),
    ),
    [
      'industry=fintech',
      'country=DE',
      'size=51-200',
      'source=web',
      'product=api',
      'product=billing',
      'signal=demoRequested',
      'signal=pricingViews',
    ],
  )
  t.same(featuresOf(lead({})), ['industry=unknown', 'country=unknown', 'size=unknown', 'source=unknown'])
  t.same([null, 1, 10, 11, 50, 200, 201, 1000, 5000, 5001].map(sizeBucket), [
    'unknown',
    '1-10',
    '1-10',
    '11-50',
    '11-50',
    '51-200',
    '201-1000',
    '201-1000',
    '1001-5000',
    '5000+',
  ])
})

t.test('the planted structure is found and ranks held-out leads with AUC ≥ 0.8', async (t) => {
  const trained = train(history(2000, 7), { seed: 3 })
  t.equal(trained.samples, 2000)
  t.ok(trained.auc! >= 0.8, `held-out AUC ${trained.auc}`)
  t.ok(Math.abs(trained.baselineRate - 0.433) < 0.05, `baseline ≈ (0.8 + 0.1 + 0.4) / 3: ${trained.baselineRate}`)
  t.same(
    trained.topFeatures
      .slice(0, 2)
      .map((f) => f.feature)
      .sort(),
    ['industry=fintech', 'industry=retail'],
    'the two industries pull hardest',
  )
  t.match(
    trained.topFeatures.find((f) => f.feature === 'industry=fintech'),
    { direction: 'up' },
  )
  t.match(
    trained.topFeatures.find((f) => f.feature === 'industry=retail'),
    { direction: 'down' },
  )

  const fintech = predict(trained.model, featuresOf(lead({ industry: 'fintech', country: 'DE', employees: 300, source: 'web' })))
  const retail = predict(trained.model, featuresOf(lead({ industry: 'retail', country: 'DE', employees: 300, source: 'web' })))
  t.ok(Math.abs(fintech.conversion - 0.8) < 0.08, `fintech ≈ 80 %: ${fintech.conversion}`)
  t.ok(Math.abs(retail.conversion - 0.1) < 0.05, `retail ≈ 10 %: ${retail.conversion}`)
  t.match(fintech.drivers[0], { feature: 'industry=fintech', direction: 'up' }, 'the strongest driver, with its direction')
  t.match(retail.drivers[0], { feature: 'industry=retail', direction: 'down' })
})

t.test('deterministic for a seed; a value never seen is neutral-ish, not an error', async (t) => {
  const samples = history(500, 11)
  t.same(train(samples, { seed: 5 }), train(samples, { seed: 5 }), 'same seed, same model and figures')
  const model = fit(samples)
  const unseen = predict(model, featuresOf(lead({ industry: 'aerospace' })))
  t.ok(unseen.conversion > 0 && unseen.conversion < 1)
  t.notOk(unseen.drivers.some((d) => d.feature === 'product=never-seen'))
})

t.test('AUC: ranks, ties and degenerate sets', async (t) => {
  t.equal(
    auc([
      { score: 1, won: false },
      { score: 2, won: true },
    ]),
    1,
  )
  t.equal(
    auc([
      { score: 2, won: false },
      { score: 1, won: true },
    ]),
    0,
  )
  t.equal(
    auc([
      { score: 1, won: false },
      { score: 1, won: true },
    ]),
    0.5,
    'a tie counts half',
  )
  t.equal(
    auc([
      { score: 1, won: true },
      { score: 2, won: true },
    ]),
    null,
    'no losses: undefined',
  )
  t.equal(auc([]), null)
})

t.test("a signal's absence counts too: probabilities stay calibrated", async (t) => {
  // demoRequested in 80 % of wins and 10 % of losses, half the leads won.
  const samples: Sample[] = []
  for (let i = 0; i < 1000; i++) {
    const won = i % 2 === 0
    const demo = won ? i % 10 < 8 : i % 20 === 1
    samples.push({ features: featuresOf(lead({ signals: demo ? { demoRequested: true } : {} })), won })
  }
  const model = fit(samples)
  const withDemo = predict(model, featuresOf(lead({ signals: { demoRequested: true } }))).conversion
  const without = predict(model, featuresOf(lead({}))).conversion
  // Bayes: 0.5·0.8 / (0.5·0.8 + 0.5·0.1) = 0.889; without: 0.5·0.2 / (0.5·0.2 + 0.5·0.9) = 0.182.
  t.ok(Math.abs(withDemo - 0.889) < 0.01, `with the signal ${withDemo}`)
  t.ok(Math.abs(without - 0.182) < 0.01, `without it ${without}`)
})
