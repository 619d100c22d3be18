// Baseline, run as its own process: the rows one lead costs (the lead and its three
// events), written by a bare pg client as one transaction per lead, one statement per
// row: BEGIN, INSERT lead, 3 × INSERT event, COMMIT = 6 round trips.
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import pg from 'pg'

const { values } = parseArgs({ options: { db: { type: 'string' }, concurrency: { type: 'string' }, count: { type: 'string' }, tag: { type: 'string' } } })
const concurrency = Number(values.concurrency)
const total = Number(values.count)
const pool = new pg.Pool({ connectionString: values.db, max: concurrency })

const decision = JSON.stringify({ score: 20, qualified: true, outcome: 'qualified', tier: 'demo', acceptWithinSeconds: 1800, reasons: [], scoringVersion: 1 })
let issued = 0
let errors = 0
const latencies: number[] = []
async function worker() {
  const client = await pool.connect()
  try {
    while (issued < total) {
      const i = issued++
      const id = randomUUID()
      const now = new Date()
      const started = performance.now()
      try {
        await client.query('begin')
        await client.query(
          `insert into leads (id, email, domain, company, employees, country, signals, status, score, qualified, tier, decision, created_at, updated_at, last_submitted_at)
           values ($1, $2, $3, 'Bench Co', $4, 'DE', '{"demoRequested":true}', 'qualified', 20, true, 'demo', $5, $6, $6, $6)`,
          [id, `base${values.tag}-${i}@bench${i % 97}.example`, `bench${i % 97}.example`, 120 + (i % 900), decision, now],
        )
        for (const type of ['lead.received', 'lead.scored', 'lead.qualified']) {
          await client.query('insert into events (id, type, lead_id, data, created_at) values ($1, $2, $3, $4, $5)', [randomUUID(), type, id, JSON.stringify({ lead: { id } }), now])
        }
        await client.query('commit')
      } catch {
        errors++
        await client.query('rollback').catch(() => {})
      }
      latencies.push(performance.now() - started)
    }
  } finally {
    client.release()
  }
}
const started = performance.now()
await Promise.all(Array.from({ length: concurrency }, worker))
await pool.end()
console.log(JSON.stringify({ count: total, errors, seconds: (performance.now() - started) / 1000, latencies }))
