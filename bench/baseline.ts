// Baseline, run as its own process: the rows one routed lead costs in Baton (the lead, its
// four events, its handoff and deadline job, a webhook delivery per event, the one job of
// their first attempts, its rep's load), written by a bare pg client as one transaction per
// lead, one statement per row: BEGIN, INSERT lead, 4 × INSERT event, INSERT handoff, INSERT
// job, 4 × INSERT delivery, INSERT job, UPDATE rep load, COMMIT = 14 round trips. Jobs go
// to a queue of their own, so no worker picks them up while the baseline runs.
//
// With --deliver <url>, it also does what fan-out costs any service, as barely: after the
// commit, the lead's four webhooks are signed and POSTed to <url> at once, and their outcomes
// written in a second transaction, one statement per row (BEGIN, 4 × INSERT attempt, 4 ×
// UPDATE delivery, complete the job, COMMIT = 11 round trips). As in the service, a lead's
// latency ends at its commit, the next lead does not wait for the webhooks, and the rate is
// taken over the writing; the deliveries still under way then are awaited untimed.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { Agent, request } from 'undici'

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    endpoint: { type: 'string' },
    concurrency: { type: 'string' },
    count: { type: 'string' },
    tag: { type: 'string' },
    deliver: { type: 'string' },
  },
})
const concurrency = Number(values.concurrency)
const total = Number(values.count)
const pool = new pg.Pool({ connectionString: values.db, max: concurrency })
const QUEUE = 'bench-baseline'
const EVENT_TYPES = ['lead.received', 'lead.scored', 'lead.qualified', 'lead.assigned']

await pool.query(`select pgboss.create_queue($1, '{"policy": "standard"}'::jsonb)`, [QUEUE])
const decision = JSON.stringify({
  score: 20,
  qualified: true,
  outcome: 'qualified',
  tier: 'demo',
  acceptWithinSeconds: 1800,
  reasons: [],
  scoringVersion: 1,
})
const reps = (await pool.query<{ rep_id: string }>('select rep_id from rep_loads order by rep_id')).rows.map((r) => r.rep_id)
const trace = JSON.stringify({ version: 2, at: new Date().toISOString(), steps: [], skipped: 0 })
const insertJob = 'insert into pgboss.job (id, name, data, start_after) values ($1, $2, $3, $4)'

interface Written {
  leadId: string
  at: Date
  jobId: string
  events: Array<{ id: string; type: string; deliveryId: string }>
}

/** The lead's transaction: every row the service writes for it, one statement each. */
async function writeLead(client: pg.PoolClient, i: number): Promise<Written> {
  const leadId = randomUUID()
  const at = new Date()
  await client.query('begin')
  await client.query(
    `insert into leads (id, email, domain, company, employees, country, signals, status, score, qualified, tier, decision, created_at, updated_at, last_submitted_at, event_seq)
     values ($1, $2, $3, 'Bench Co', $4, 'DE', '{"demoRequested":true}', 'pending_acceptance', 20, true, 'demo', $5, $6, $6, $6, 4)`,
    [leadId, `base${values.tag}-${i}@bench${i % 97}.example`, `bench${i % 97}.example`, 120 + (i % 900), decision, at],
  )
  const events = EVENT_TYPES.map((type) => ({ id: randomUUID(), type, deliveryId: randomUUID() }))
  for (const [n, { id, type }] of events.entries()) {
    await client.query('insert into events (id, type, lead_id, data, created_at, sequence) values ($1, $2, $3, $4, $5, $6)', [
      id,
      type,
      leadId,
      JSON.stringify({ lead: { id: leadId } }),
      at,
      n + 1,
    ])
  }
  const repId = reps[i % reps.length]
  const handoffId = randomUUID()
  const deadline = new Date(at.getTime() + 1_800_000)
  await client.query(
    `insert into handoffs (id, lead_id, rep_id, status, attempt, deadline_at, ruleset_version, rule_index, rule_name, team_id, trace, created_at, updated_at)
     values ($1, $2, $3, 'pending', 1, $4, 2, 0, 'rule 0', null, $5, $6, $6)`,
    [handoffId, leadId, repId, deadline, trace, at],
  )
  await client.query(insertJob, [handoffId, QUEUE, JSON.stringify({ handoffId }), deadline])
  const jobId = randomUUID()
  for (const { id, deliveryId } of events) {
    await client.query(
      `insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
       values ($1, $2, $3, 'pending', $4, $5, $5, $5)`,
      [deliveryId, values.endpoint, id, jobId, at],
    )
  }
  await client.query(insertJob, [jobId, QUEUE, JSON.stringify({ deliveryIds: events.map((e) => e.deliveryId) }), at])
  await client.query('update rep_loads set claimed = claimed + 1, day = current_date, day_count = day_count + 1 where rep_id = $1', [repId])
  await client.query('commit')
  return { leadId, at, jobId, events }
}

const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 })
const signingKey = randomBytes(32)

// Outcomes are written on connections of their own, as a service's delivery workers have.
const deliveryPool = new pg.Pool({ connectionString: values.db, max: concurrency })

/** The lead's four webhooks, signed as Standard Webhooks and sent at once; then their outcomes, one statement each. */
async function deliver(url: string, { leadId, at, jobId, events }: Written): Promise<void> {
  const outcomes = await Promise.all(
    events.map(async ({ id, type }, n) => {
      const body = JSON.stringify({ id, type, timestamp: at.toISOString(), sequence: n + 1, data: { lead: { id: leadId } } })
      const timestamp = Math.floor(Date.now() / 1000)
      const signature = createHmac('sha256', signingKey).update(`${id}.${timestamp}.${body}`).digest('base64')
      const started = performance.now()
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${signature}`,
        },
      })
      await res.body.dump()
      return { statusCode: res.statusCode, latencyMs: Math.round(performance.now() - started) }
    }),
  )
  const client = await deliveryPool.connect()
  try {
    await client.query('begin')
    for (const [n, { deliveryId }] of events.entries()) {
      const { statusCode, latencyMs } = outcomes[n]!
      await client.query(
        `insert into webhook_attempts (id, delivery_id, number, trigger, attempted_at, status_code, latency_ms) values ($1, $2, 1, 'scheduled', $3, $4, $5)`,
        [randomUUID(), deliveryId, new Date(), statusCode, latencyMs],
      )
      await client.query(
        `update webhook_deliveries set status = 'succeeded', attempts = 1, next_job_id = null, next_attempt_at = null, updated_at = now() where id = $1`,
        [deliveryId],
      )
    }
    await client.query(`update pgboss.job set state = 'completed', completed_on = now() where name = $1 and id = $2`, [QUEUE, jobId])
    await client.query('commit')
  } finally {
    client.release()
  }
}

let issued = 0
let errors = 0
const latencies: number[] = []
const deliveries: Array<Promise<void>> = []
const failed = (error: unknown) => {
  if (errors++ === 0) console.error(`baseline: ${String(error)}`)
}
async function worker() {
  const client = await pool.connect()
  try {
    while (issued < total) {
      const i = issued++
      const started = performance.now()
      try {
        const written = await writeLead(client, i)
        latencies.push(performance.now() - started)
        if (values.deliver) deliveries.push(deliver(values.deliver, written).catch(failed))
      } catch (error) {
        failed(error)
        await client.query('rollback').catch(() => {})
      }
    }
  } finally {
    client.release()
  }
}
const started = performance.now()
await Promise.all(Array.from({ length: concurrency }, worker))
const seconds = (performance.now() - started) / 1000
await Promise.all(deliveries)
await Promise.all([pool.end(), deliveryPool.end()])
await agent.close()
console.log(JSON.stringify({ count: total, errors, seconds, latencies }))
