// A worker process killed in the middle of a deadline job, then restarted: the handoff
// still expires, exactly once. Real processes (`node src/server.ts`, ROLE=worker) on the
// test's own database; the test creates the lead through an in-process API instance.
import { spawn, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { waitFor } from '../helpers/wait.ts'
import pg from 'pg'
import t, { type Test } from 'tap'
import { EnvSchema } from '../../src/config.ts'
import { freePort } from '../../src/lib/free-port.ts'
import { TEST_SECRET } from '../helpers/app.ts'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'
import { ROOT } from '../helpers/run-script.ts'

const READY_WITHIN_MS = 30_000
// How long a dead worker's active job takes to come back. Only a supervise pass fails it
// (and so retries it): the pass claims the queue's monitor, then runs failJobsByTimeout and
// failJobsByHeartbeat (pg-boss dist/boss.js #monitor). A restarted worker makes its first
// pass a whole superviseIntervalSeconds after it starts (dist/claimTimer.js: start() arms
// the timer, it does not run it). createBoss sets that (and monitorIntervalSeconds) to 10 s
// for workers, and the queue's heartbeat is 10 s: about 10 s + retryDelay 1 s + a 0.5 s poll
// after the restart. The bound leaves room for a slow machine.
const RECOVERY_WITHIN_MS = 30_000

/** A `node src/server.ts` child with its output kept for diagnostics. */
interface Proc {
  child: ChildProcess
  output: () => string
  exited: Promise<unknown>
}

const running = (proc: Proc) => proc.child.exitCode === null && proc.child.signalCode === null

/**
 * Starts a worker process on the database and waits for /readyz; killed (SIGKILL: nothing
 * of it matters to the test any more) in the teardown if it is still running.
 */
async function startWorker(t: Test, url: string): Promise<Proc> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(EnvSchema.properties)) delete env[key]
  Object.assign(env, { DATABASE_URL: url, PORT: String(port), ROLE: 'worker', AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' })
  const child = spawn(process.execPath, ['src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise((resolve) => child.once('close', resolve))
  const proc = { child, output: () => output, exited }
  t.teardown(async () => {
    if (running(proc)) child.kill('SIGKILL')
    await exited
  })
  const ready = await waitFor(
    async () => {
      if (!running(proc)) throw new Error(`the worker exited before it was ready:\n${output}`)
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined)
      return res?.status === 200
    },
    READY_WITHIN_MS,
    100,
  )
  if (!ready) throw new Error(`the worker was not ready within ${READY_WITHIN_MS} ms:\n${output}`)
  return proc
}

/** The deadline job of a handoff (its id is the handoff's), as pg-boss holds it. */
async function deadlineJob(h: HandoffHarness, handoffId: string) {
  const [job] = await h.sql<{ state: string; retry_count: number; message: string | null }>(
    "select state, retry_count, output->'value'->>'message' as message from pgboss.job where name = 'handoff-deadline' and id = $1",
    [handoffId],
  )
  return job
}

/** One consistent snapshot of the lead's handoffs, events and the reps' workload. */
async function snapshot(url: string, leadId: string, repIds: string[]) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin isolation level repeatable read')
    const handoffs = (
      await client.query<{ id: string; rep_id: string; status: string; attempt: number }>(
        'select id, rep_id, status, attempt from handoffs where lead_id = $1 order by attempt',
        [leadId],
      )
    ).rows
    const events = (
      await client.query<{ type: string; handoff: string | null; from: string | null }>(
        "select type, data->'handoff'->>'id' as handoff, data->'from'->>'id' as from from events where lead_id = $1 order by position",
        [leadId],
      )
    ).rows
    const workload = (
      await client.query<{ rep_id: string; pending: number; expired_in_row: number }>(
        'select rep_id, pending, expired_in_row from rep_workload where rep_id = any($1)',
        [repIds],
      )
    ).rows
    await client.query('commit')
    return { handoffs, events, workload }
  } finally {
    await client.end()
  }
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>

/** Every rep's pending count is its pending handoffs, and its expiries in a row its expired ones (nobody accepted). */
function assertWorkload(t: Test, { handoffs, workload }: Snapshot, when: string) {
  for (const load of workload) {
    const mine = handoffs.filter((x) => x.rep_id === load.rep_id)
    t.same(
      { pending: load.pending, expired_in_row: load.expired_in_row },
      { pending: mine.filter((x) => x.status === 'pending').length, expired_in_row: mine.filter((x) => x.status === 'expired').length },
      `${when}: rep_workload of ${load.rep_id} matches its handoff rows`,
    )
  }
}

t.test('a worker killed during a deadline job, then restarted: the handoff still expires, once', async (t) => {
  // The API in this process (ROLE=api runs no jobs); every job runs in a worker process.
  const h = await handoffHarness(t, { realTime: true, env: { ROLE: 'api' } })
  const { repIds } = await h.setup(2, { acceptWithinSeconds: 2 })
  const first = await startWorker(t, h.baton.url)

  // The test's own connection holds the handoff row, so the worker's expire blocks inside
  // its transaction: the kill then lands mid-job, whatever the machine's speed.
  const locker = new pg.Client({ connectionString: h.baton.url })
  await locker.connect()
  t.teardown(() => locker.end())
  const { lead, handoff } = await h.postLead()
  await locker.query('begin')
  await locker.query('select id from handoffs where id = $1 for update', [handoff.id])
  t.ok(Date.now() < Date.parse(handoff.deadlineAt), 'the row is locked before the deadline')
  const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid

  const blocked = await waitFor(
    async () => {
      const job = await deadlineJob(h, handoff.id)
      const [waiting] = await h.sql<{ pid: number }>(
        "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and $1 = any(pg_blocking_pids(pid))",
        [lockerPid],
      )
      return job?.state === 'active' && waiting ? waiting.pid : undefined
    },
    10_000,
    100,
  )
  t.ok(blocked, 'the worker took the job (active) and its expire waits on the row lock', { output: first.output() })
  if (!blocked) return

  const killedAt = Date.now()
  first.child.kill('SIGKILL')
  await first.exited
  t.equal(first.child.signalCode, 'SIGKILL', 'the worker is killed mid-job')
  await locker.query('rollback')
  // The dead client's backend gets the lock now, finds its client gone and rolls back.
  const gone = await waitFor(
    async () => (await h.sql('select 1 from pg_stat_activity where pid = $1', [blocked])).length === 0,
    10_000,
    100,
  )
  t.ok(gone, "the killed worker's transaction ended with it")

  const [afterKill] = await h.handoffs(lead.id)
  t.equal(afterKill?.status, 'pending', 'nothing happened yet: the handoff is still pending')
  t.match((await deadlineJob(h, handoff.id))?.state, /^(active|retry)$/, 'the job is still active (nobody has noticed the dead worker yet)')
  const types = (await h.events(lead.id)).map((e) => e.type)
  t.notOk(types.includes('handoff.expired') || types.includes('lead.rerouted'), 'no expiry or re-route event was written', { types })

  const second = await startWorker(t, h.baton.url)
  const restartedAt = Date.now()
  // Watch the job come back: it is in 'retry' (with the reason pg-boss failed it) for about
  // retryDelay before the new worker claims it again.
  let failedBecause: string | null | undefined
  const expired = await waitFor(
    async () => {
      const job = await deadlineJob(h, handoff.id)
      if (job?.state === 'retry' && failedBecause === undefined) failedBecause = job.message
      return (await h.handoffs(lead.id))[0]?.status === 'expired'
    },
    RECOVERY_WITHIN_MS,
    100,
  )
  const now = Date.now()
  t.comment(
    `recovery: expired ${((now - killedAt) / 1000).toFixed(1)} s after the kill, ${((now - restartedAt) / 1000).toFixed(1)} s after the restart; pg-boss failed the job with "${failedBecause}"`,
  )
  t.ok(expired, `the restarted worker expired the handoff within ${RECOVERY_WITHIN_MS / 1000} s`, { output: second.output() })
  if (!expired) return

  // Right away: the re-routed handoff has a 2 s window of its own, which this worker will also run out.
  const seen = await snapshot(h.baton.url, lead.id, repIds)
  const expiredEvents = (s: Snapshot, id: string) => s.events.filter((e) => e.type === 'handoff.expired' && e.handoff === id).length
  const reroutedFrom = (s: Snapshot, id: string) => s.events.filter((e) => e.type === 'lead.rerouted' && e.from === id).length
  t.equal(expiredEvents(seen, handoff.id), 1, 'exactly one handoff.expired event for it')
  t.equal(reroutedFrom(seen, handoff.id), 1, 'exactly one lead.rerouted from it')
  const next = seen.handoffs.filter((x) => x.id !== handoff.id)
  t.equal(next.length, 1, 'exactly one new handoff')
  t.match(next[0], { attempt: 2, status: 'pending' }, 'attempt 2, pending')
  t.not(next[0]?.rep_id, handoff.repId, 'for the other rep')
  assertWorkload(t, seen, 'at the expiry')
  const job = await deadlineJob(h, handoff.id)
  t.match(job, { state: 'completed', retry_count: 1 }, 'the job ran twice: the killed claim and one retry')

  // A little longer: the restarted worker runs the next deadline as usual, and nothing expires twice.
  const settled = await waitFor(async () => (await h.handoffs(lead.id)).every((x) => x.status !== 'pending'), 10_000, 100)
  t.ok(settled, "the other rep's handoff ran out too, on the restarted worker")
  await sleep(2_000)
  const later = await snapshot(h.baton.url, lead.id, repIds)
  t.equal(expiredEvents(later, handoff.id), 1, 'still one handoff.expired event for the first handoff')
  t.equal(reroutedFrom(later, handoff.id), 1, 'still one lead.rerouted from it')
  for (const x of later.handoffs) {
    t.equal(expiredEvents(later, x.id), x.status === 'expired' ? 1 : 0, `attempt ${x.attempt}: one expiry event per expired handoff`)
  }
  t.same(
    later.handoffs.map((x) => x.attempt),
    [1, 2],
    'no third handoff: both reps have had the lead',
  )
  assertWorkload(t, later, 'after both expiries')
})
