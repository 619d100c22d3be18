import t, { type Test } from 'tap'
import pg from 'pg'
import { loadConfig, type Config } from '../../src/config.ts'
import { signToken, type Role } from '../../src/lib/auth-keys.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { startServices } from '../../src/runtime.ts'
import { buildTestApp, TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'

// Real sockets, not app.inject: requests arrive in parallel, each takes its own pooled
// connection and transaction, and the database decides who waits for whom.

/** What one HTTP call answered: the status and the parsed body (the raw text if not JSON). */
interface Answer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read as any, like inject's res.json(): the assertions are the check
  body: any
  text: string
}

/** The Baton instances under test (one or two on one database) and a way to read that database. */
interface Cluster {
  bases: string[]
  url: string
  pool: pg.Pool
  sign: (role: Role) => Promise<string>
}

const secret = new TextEncoder().encode(TEST_SECRET)

async function send(base: string, token: string, method: string, path: string, payload?: object): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // a body that is not JSON is kept as text, for the log
  }
  return { status: res.status, body, text }
}

// Emails are unique across the whole file: scenarios may share a database.
let reps = 0
let leads = 0

/** Admin setup through the first instance: reps, a round-robin team, a ruleset sending everyone to it. */
async function setUp(cluster: Cluster, capacities: Array<number | null>): Promise<{ teamId: string; repIds: string[] }> {
  const token = await cluster.sign('admin')
  const admin = async (method: string, path: string, payload: object, expected: number) => {
    const answer = await send(cluster.bases[0]!, token, method, path, payload)
    if (answer.status !== expected) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`)
    return answer.body
  }
  const repIds: string[] = []
  for (const maxPending of capacities) {
    reps++
    const rep = {
      name: `Rep ${reps}`,
      email: `rep${reps}@example.com`,
      timezone: 'UTC',
      ...(maxPending === null ? {} : { capacity: { maxPending } }),
    }
    repIds.push((await admin('POST', '/v1/reps', rep, 201)).id)
  }
  const team = await admin(
    'POST',
    '/v1/teams',
    { name: `Team ${reps}`, strategy: 'round_robin', members: repIds.map((repId) => ({ repId })) },
    201,
  )
  await admin('PUT', '/v1/routing', { rules: [{ name: 'everyone', assign: { type: 'team', teamId: team.id } }], fallback: null }, 200)
  return { teamId: team.id, repIds }
}

/**
 * The most transactions the services (application_name 'baton') held open at once
 * while `work` ran, sampled on a connection of its own: proof that the burst overlapped.
 */
async function peakTransactions<T>(url: string, work: Promise<T>): Promise<{ result: T; peak: number }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  let done = false
  let peak = 0
  const sampling = (async () => {
    while (!done) {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'baton' and xact_start is not null`,
      )
      peak = Math.max(peak, rows[0]!.n)
    }
  })()
  try {
    return { result: await work, peak }
  } finally {
    done = true
    await sampling
    await client.end()
  }
}

/**
 * `count` qualifying leads posted all at once, spread over the instances in turn.
 * Every answer other than 201 is written to the log with its body.
 */
async function burst(t: Test, cluster: Cluster, count: number): Promise<{ answers: Answer[] }> {
  const token = await cluster.sign('integration')
  const first = leads
  leads += count
  const started = performance.now()
  const { result: answers, peak } = await peakTransactions(
    cluster.url,
    Promise.all(
      Array.from({ length: count }, (_, i) => {
        const n = first + i
        const base = cluster.bases[i % cluster.bases.length]!
        return send(base, token, 'POST', '/v1/leads', { email: `lead${n}@acme${n}.example`, signals: { demoRequested: true } })
      }),
    ),
  )
  const ms = performance.now() - started
  t.comment(
    `${count} leads over ${cluster.bases.length} instance(s): ${ms.toFixed(0)} ms wall time (${((count * 1000) / ms).toFixed(0)} leads/s), at most ${peak} transactions open at once`,
  )
  t.ok(peak > 1, 'the leads were routed in overlapping transactions')
  for (const answer of answers.filter((a) => a.status !== 201)) t.comment(`unexpected ${answer.status}: ${answer.text}`)
  return { answers }
}

const tally = (ids: Array<string | null | undefined>) => {
  const counts: Record<string, number> = {}
  for (const id of ids) if (id) counts[id] = (counts[id] ?? 0) + 1
  return counts
}
const each = (ids: string[], n: number) => Object.fromEntries(ids.map((id) => [id, n]))

async function query<T extends pg.QueryResultRow>(cluster: Cluster, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await cluster.pool.query<T>(sql, params)).rows
}

/** Handoffs by rep (every status), and each rep's pending count (rep_workload). */
async function loads(cluster: Cluster, repIds: string[]) {
  const handoffs = await query<{ rep_id: string; n: number }>(
    cluster,
    'select rep_id, count(*)::int as n from handoffs where rep_id = any($1) group by rep_id',
    [repIds],
  )
  const pending = await query<{ rep_id: string; n: number }>(
    cluster,
    `select rep_id, count(*)::int as n from handoffs where rep_id = any($1) and status = 'pending' group by rep_id`,
    [repIds],
  )
  const counters = await query<{ rep_id: string; pending: number }>(
    cluster,
    'select rep_id, pending from rep_workload where rep_id = any($1)',
    [repIds],
  )
  return {
    handoffs: Object.fromEntries(handoffs.map((r) => [r.rep_id, r.n])),
    pending: Object.fromEntries(pending.map((r) => [r.rep_id, r.n])),
    counters: Object.fromEntries(counters.map((r) => [r.rep_id, r.pending])),
  }
}

const leadIdsOf = (answers: Answer[]) => answers.flatMap((a) => (a.body?.lead?.id ? [a.body.lead.id as string] : []))

async function roundRobinIsEven(t: Test, cluster: Cluster) {
  const { repIds } = await setUp(cluster, [null, null, null, null, null])
  const { answers } = await burst(t, cluster, 200)

  t.same(tally(answers.map((a) => String(a.status))), { 201: 200 }, 'every lead is answered 201')
  t.equal(
    answers.filter((a) => a.body?.handoff?.leadId === a.body?.lead?.id && a.body?.routing?.outcome === 'assigned').length,
    200,
    'every answer names its handoff',
  )
  t.same(tally(answers.map((a) => a.body?.handoff?.repId)), each(repIds, 40), 'the answers give each rep exactly 40')

  const ids = leadIdsOf(answers)
  const { handoffs, pending, counters } = await loads(cluster, repIds)
  t.same(handoffs, each(repIds, 40), 'the handoffs table gives each rep exactly 40')
  t.same(pending, each(repIds, 40), 'all of them pending')
  t.same(counters, each(repIds, 40), 'rep_workload.pending agrees with the handoffs')
  const orphans = await query(
    cluster,
    'select id from leads where id = any($1) and not exists (select 1 from handoffs h where h.lead_id = leads.id)',
    [ids],
  )
  t.same(orphans, [], 'no lead without a handoff')
  t.equal(new Set(ids).size, 200, '200 distinct leads')
  const doubles = await query(
    cluster,
    'select lead_id, count(*)::int from handoffs where lead_id = any($1) group by lead_id having count(*) > 1',
    [ids],
  )
  t.same(doubles, [], 'no lead with two handoffs')
  // Each lead took one turn of the team's sequence, and no turn was lost or shared.
  const turns = await query<{ turn: number }>(
    cluster,
    `select (trace->'steps'->-1->'turn'->>'number')::int as turn from handoffs where lead_id = any($1) order by 1`,
    [ids],
  )
  const first = turns[0]?.turn ?? 0
  t.same(
    turns.map((r) => r.turn),
    Array.from({ length: 200 }, (_, i) => first + i),
    'the 200 handoffs took 200 consecutive turns',
  )
}

async function capacityHolds(t: Test, cluster: Cluster) {
  const { repIds } = await setUp(cluster, [3, null])
  const [capped, open] = repIds as [string, string]
  const { answers } = await burst(t, cluster, 60)

  t.same(tally(answers.map((a) => String(a.status))), { 201: 60 }, 'every lead is answered 201')
  t.same(
    tally(answers.map((a) => a.body?.handoff?.repId)),
    { [capped]: 3, [open]: 57 },
    'the answers: 3 to the capped rep, 57 to the other',
  )
  const { handoffs, pending, counters } = await loads(cluster, repIds)
  t.same(handoffs, { [capped]: 3, [open]: 57 }, 'the capped rep never got a 4th handoff')
  t.same(pending, { [capped]: 3, [open]: 57 }, 'all of them pending')
  t.same(counters, pending, 'rep_workload.pending matches the pending handoffs of each rep')
}

async function fullTeamLosesNoLead(t: Test, cluster: Cluster) {
  const { repIds } = await setUp(cluster, [2, 2, 2])
  const { answers } = await burst(t, cluster, 20)

  t.same(tally(answers.map((a) => String(a.status))), { 201: 20 }, 'every lead is answered 201')
  t.same(tally(answers.map((a) => a.body?.routing?.outcome)), { assigned: 6, unroutable: 14 }, 'the answers: 6 assigned, 14 unroutable')
  t.equal(
    answers.filter((a) => a.body?.routing?.outcome === 'unroutable' && a.body?.handoff === null).length,
    14,
    'an unroutable answer has no handoff',
  )

  const ids = leadIdsOf(answers)
  const rows = await query<{ id: string; status: string; handoffs: number; live: number; unroutable: number }>(
    cluster,
    `
    select l.id, l.status,
      (select count(*)::int from handoffs h where h.lead_id = l.id) as handoffs,
      (select count(*)::int from handoffs h where h.lead_id = l.id and h.status = 'pending') as live,
      (select count(*)::int from events e where e.lead_id = l.id and e.type = 'lead.unroutable') as unroutable
    from leads l where l.id = any($1)`,
    [ids],
  )
  t.equal(rows.length, 20, 'all 20 leads exist')
  t.same(tally(rows.map((r) => r.status)), { pending_acceptance: 6, unrouted: 14 }, '6 pending acceptance, 14 unrouted')
  const assignedOk = rows.filter((r) => r.status === 'pending_acceptance' && r.handoffs === 1 && r.live === 1)
  const unroutedOk = rows.filter((r) => r.status === 'unrouted' && r.handoffs === 0 && r.unroutable >= 1)
  t.equal(
    assignedOk.length + unroutedOk.length,
    20,
    'each lead is either pending with one handoff, or unrouted with a lead.unroutable event',
  )

  const { handoffs, counters } = await loads(cluster, repIds)
  t.same(handoffs, each(repIds, 2), 'each rep holds exactly 2')
  t.same(counters, each(repIds, 2), 'rep_workload.pending agrees')
}

/** One Baton listening on a loopback port, on a database of its own. */
async function oneInstance(t: Test): Promise<Cluster> {
  const baton = await buildTestApp(t)
  await baton.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = baton.app.server.address() as { port: number }
  return { bases: [`http://127.0.0.1:${port}`], url: baton.url, pool: baton.deps.pool, sign: (role) => baton.token(role) }
}

t.test('one instance', async (t) => {
  t.test('200 concurrent leads into a team of 5 round-robin reps: exactly 40 each', async (t) => {
    await roundRobinIsEven(t, await oneInstance(t))
  })
  t.test('a rep of capacity 3 never holds a 4th pending handoff', async (t) => {
    await capacityHolds(t, await oneInstance(t))
  })
  t.test('a team that fills up leaves the rest unrouted, and loses none', async (t) => {
    await fullTeamLosesNoLead(t, await oneInstance(t))
  })
})

t.test('two instances on one database', async (t) => {
  const { url, drop } = await createTestDatabase()
  const config: Config = loadConfig({ AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: url })
  const clock = manualClock()
  const instances: Array<Awaited<ReturnType<typeof startServices>>> = []
  t.teardown(async () => {
    await Promise.all(instances.map((services) => services.close()))
    await drop()
  })
  const bases: string[] = []
  for (let i = 0; i < 2; i++) {
    const services = await startServices(config, url, { clock })
    instances.push(services)
    await services.app.listen({ host: '127.0.0.1', port: 0 })
    bases.push(`http://127.0.0.1:${(services.app.server.address() as { port: number }).port}`)
  }
  const cluster: Cluster = { bases, url, pool: instances[0]!.deps.pool, sign: (role) => signToken(secret, { role, now: clock.now() }) }

  // In this order: each publishes the ruleset the next burst uses, and only the last leaves leads unrouted.
  t.test('200 leads split across both: exactly 40 each', (t) => roundRobinIsEven(t, cluster))
  t.test('capacity 3 holds across both', (t) => capacityHolds(t, cluster))
  t.test('a full team across both loses no lead', (t) => fullTeamLosesNoLead(t, cluster))
})
