// Baseline, run as its own process: the rows one routed lead costs in Baton (the lead, its
// four events, its handoff and deadline job, a webhook delivery per event with its attempt
// job, its rep's load), written by a bare pg client as one transaction per lead, one
// statement per row: BEGIN, INSERT lead, 4 × INSERT event, INSERT handoff, INSERT job,
// 4 × INSERT delivery, 4 × INSERT job, UPDATE rep load, COMMIT = 17 round trips. Jobs go
// to a queue of their own, so no worker picks them up while the baseline runs.
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import pg from 'pg'

const { values } = parseArgs({ options: { db: { type: 'string' }, endpoint: { type: 'string' }, concurrency: { type: 'string' }, count: { type: 'string' }, tag: { type: 'string' } } })
const concurrency = Number(values.concurrency)
const total = Number(values.count)
const pool = new pg.Pool({ connectionString: values.db, max: concurrency })
const QUEUE = 'bench-baseline'

await pool.query(`select pgboss.create_queue($1, '{"policy": "standard"}'::jsonb)`, [QUEUE])
const decision = JSON.stringify({ score: 20, qualified: true, outcome: 'qualified', tier: 'demo', acceptWithinSeconds: 1800, reasons: [], scoringVersion: 1 })
const reps = (await pool.query<{ rep_id: string }>('select rep_id from rep_loads order by rep_id')).rows.map((r) => r.rep_id)
const trace = JSON.stringify({ version: 2, at: new Date().toISOString(), steps: [], skipped: 0 })
const insertJob = 'insert into pgboss.job (id, name, data, start_after) values ($1, $2, $3, $4)'
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
          `insert into leads (id, email, domain, company, employees, country, signals, status, score, qualified, tier, decision, created_at, updated_at, last_submitted_at, event_seq)
           values ($1, $2, $3, 'Bench Co', $4, 'DE', '{"demoRequested":true}', 'pending_acceptance', 20, true, 'demo', $5, $6, $6, $6, 4)`,
          [id, `base${values.tag}-${i}@bench${i % 97}.example`, `bench${i % 97}.example`, 120 + (i % 900), decision, now],
        )
        const eventIds: string[] = []
        for (const [n, type] of ['lead.received', 'lead.scored', 'lead.qualified', 'lead.assigned'].entries()) {
          const eventId = randomUUID()
          eventIds.push(eventId)
          await client.query('insert into events (id, type, lead_id, data, created_at, sequence) values ($1, $2, $3, $4, $5, $6)', [eventId, type, id, JSON.stringify({ lead: { id } }), now, n + 1])
        }
        const repId = reps[i % reps.length]
        const handoffId = randomUUID()
        const deadline = new Date(now.getTime() + 1_800_000)
        await client.query(
          `insert into handoffs (id, lead_id, rep_id, status, attempt, deadline_at, ruleset_version, rule_index, rule_name, team_id, trace, created_at, updated_at)
           values ($1, $2, $3, 'pending', 1, $4, 2, 0, 'rule 0', null, $5, $6, $6)`,
          [handoffId, id, repId, deadline, trace, now],
        )
        await client.query(insertJob, [handoffId, QUEUE, JSON.stringify({ handoffId }), deadline])
        for (const eventId of eventIds) {
          const deliveryId = randomUUID()
          await client.query(
            `insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
             values ($1, $2, $3, 'pending', $1, $4, $4, $4)`,
            [deliveryId, values.endpoint, eventId, now],
          )
          await client.query(insertJob, [deliveryId, QUEUE, JSON.stringify({ deliveryId }), now])
        }
        await client.query('update rep_loads set claimed = claimed + 1, day = current_date, day_count = day_count + 1 where rep_id = $1', [repId])
        await client.query('commit')
      } catch (error) {
        if (errors++ === 0) console.error(`baseline: ${String(error)}`)
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
