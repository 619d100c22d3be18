// The conversion model at scale, run as its own process against the running service:
// 100,000 historical leads with outcomes (written straight into the database: fintech
// wins 80 %, retail 10 %, others 30–50 %, over 12 countries, sizes and sources), then
// POST /v1/predictive/train timed end to end (read, count, held-out AUC, publish). Then
// the cost of one prediction (features + sum of log-odds) over 100,000 leads, in process.
// Prints {leads, trainMs, auc, predictP50Us, predictP99Us}.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { seeded } from '../src/lib/random.ts'
import { featuresOf, type LeadFeatures, predict } from '../src/modules/predictive/model.ts'
import type { Model } from '../src/db/schema/json/conversion-model.ts'

const { values } = parseArgs({ options: { url: { type: 'string' }, admin: { type: 'string' }, db: { type: 'string' } } })
const LEADS = 100_000

const pool = new pg.Pool({ connectionString: values.db, max: 2 })
await pool.query(`
  insert into leads (id, email, industry, country, employees, source, product_interest, signals, status, score, qualified, decision,
    created_at, updated_at, last_submitted_at, outcome, outcome_at)
  select gen_random_uuid(), 'hist' || i || '@history' || (i % 5000) || '.example',
    (array['fintech', 'retail', 'saas', 'health', 'logistics', 'media'])[1 + i % 6],
    (array['DE', 'US', 'FR', 'GB', 'NL', 'ES', 'IT', 'SE', 'PL', 'JP', 'SG', 'BR'])[1 + (i / 7) % 12],
    (i * 37) % 4000, (array['web', 'event', 'referral', 'partner'])[1 + (i / 3) % 4],
    case when i % 3 = 0 then '["api"]'::jsonb else '[]'::jsonb end,
    case when i % 4 = 0 then '{"demoRequested": true}'::jsonb else '{}'::jsonb end,
    'closed', 0, true, '{"score":0,"qualified":true,"outcome":"qualified","tier":null,"acceptWithinSeconds":null,"reasons":[],"scoringVersion":1}'::jsonb,
    now(), now(), now(),
    case when random() < (array[0.8, 0.1, 0.5, 0.4, 0.3, 0.35])[1 + i % 6] then 'won' else 'lost' end, now()
  from generate_series(1, ${LEADS}) as i`)
await pool.end()

const started = performance.now()
const res = await fetch(`${values.url}/v1/predictive/train`, {
  method: 'POST',
  headers: { authorization: `Bearer ${values.admin}`, 'content-type': 'application/json' },
  body: '{}',
})
const trainMs = performance.now() - started
if (!res.ok) throw new Error(`train answered ${res.status}: ${await res.text()}`)
const trained = (await res.json()) as { version: number; auc: number }

// The live model as the service stored it, predicted in process like ingestion does.
const client = new pg.Client({ connectionString: values.db })
await client.connect()
const {
  rows: [row],
} = await client.query<{ model: Model }>('select model from predictive_models where version = $1', [trained.version])
await client.end()
const random = seeded(9)
const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!
const leads: LeadFeatures[] = Array.from({ length: LEADS }, (): LeadFeatures => ({
  industry: pick(['fintech', 'retail', 'saas', 'aerospace']),
  country: pick(['DE', 'US', 'JP', 'CH']),
  employees: Math.floor(random() * 5000),
  source: pick<string | null>(['web', 'event', null]),
  productInterest: random() < 0.3 ? ['api'] : [],
  signals: random() < 0.2 ? { demoRequested: true } : {},
}))
const micros: number[] = []
for (const lead of leads) {
  const t0 = performance.now()
  predict(row!.model, featuresOf(lead))
  micros.push((performance.now() - t0) * 1000)
}
micros.sort((a, b) => a - b)
const at = (q: number) => micros[Math.floor(q * (micros.length - 1))]!
console.log(JSON.stringify({ leads: LEADS, trainMs: Math.round(trainMs), auc: trained.auc, predictP50Us: at(0.5), predictP99Us: at(0.99) }))
