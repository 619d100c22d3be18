// npm run bench: the performance harness (issue 9). Embedded PostgreSQL unless
// DATABASE_URL is set. The service runs as its own process, exactly as `npm start`
// runs it; load comes from a separate process. Prints one table and writes it as
// JSON under bench/results/. Grows as routing, deadlines and webhooks land.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { loadConfig } from '../src/config.ts'
import { adminStatement } from '../src/db/admin.ts'
import { signToken } from '../src/lib/auth-keys.ts'
import { freePort } from '../src/lib/free-port.ts'
import { setUpRouting } from '../bench/setup.ts'
import { startIngestReceiver } from '../bench/ingest-receiver.ts'
import { firstMailLatency, setEmailTargets, startSmtpSink } from '../bench/notify.ts'
import { localPostmaster, postgresCpuSeconds, processCpuSeconds } from '../bench/cpu.ts'
import { SERVICE_NODE_FLAGS } from './service-flags.ts'
import { startScratchCluster } from './scratch-cluster.ts'

const LEADS_PER_RUN = 2000
// received, scored, qualified, assigned: each goes to the ingest receiver.
const EVENTS_PER_LEAD = 4
const CONCURRENCIES = [8, 32]
const SECRET = 'bench-secret-that-is-long-enough-for-hs256'
// Round trips one ingested lead costs, counted from the code (leads.service.ts, routing/assign.ts,
// events.repo.ts) and confirmed with log_statement: BEGIN, email lock + dedupe lookup + live
// versions (one function), candidates, team turn, capacity claim, INSERT lead, INSERT handoff,
// deadline job, events + deliveries (one statement), the deliveries' job, COMMIT.
const SERVICE_ROUND_TRIPS = 11
// BEGIN, INSERT lead, 4 × INSERT event, INSERT handoff, deadline job, 4 × INSERT delivery,
// the deliveries' job, UPDATE rep load, COMMIT (bench/baseline.ts).
const BASELINE_ROUND_TRIPS = 14
// With --deliver, per lead after its commit: BEGIN, 4 × INSERT attempt, 4 × UPDATE delivery,
// complete the job, COMMIT. What fan-out costs a service that does it as barely as that.
const DELIVERING_ROUND_TRIPS = 11

interface Run {
  count: number
  errors: number
  seconds: number
  latencies: number[]
}

const cluster = await startScratchCluster('bench', loadConfig().databaseUrl)
// The service mails here; reps have email targets only in the notify part.
const smtp = await startSmtpSink()
let service: ChildProcess | undefined
// The cluster's main process, when it runs here: the database side of CPU per lead.
let postmaster: number | undefined
try {
  const url = await cluster.createDatabase(`baton_bench_${process.pid}`)
  postmaster = await localPostmaster(url)
  const port = await freePort()
  // BENCH_CPU_PROFILE=<dir>: the service writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []
  service = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...profile, 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      AUTH_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      SMTP_URL: smtp.url,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  await waitReady(base)
  const key = new TextEncoder().encode(SECRET)
  const token = await signToken(key, { role: 'integration', ttl: '1h' })
  await setUpRouting(base, await signToken(key, { role: 'admin', ttl: '1h' }))

  const rows: Array<Record<string, string | number>> = []
  // BENCH_ONLY=engine,ingest,deadlines,webhooks,notify,predictive runs just those parts (while working on one).
  const only = process.env.BENCH_ONLY?.split(',')
  const runs = (part: string) => !only || only.includes(part)
  if (runs('engine')) {
    type DueAt = { holidays: number; calls: number; p50Ms: number; p99Ms: number }
    type Decisions = { p50Ms: number; p99Ms: number }
    type Engine = Decisions & {
      decisions: number
      rules: number
      reps: number
      requirements: Decisions & { perRule: number }
      dueAt: DueAt
    }
    const engine = await child<Engine>('bench/engine.ts', [])
    rows.push({
      measure: `routing decision, ${engine.rules} rules × ${engine.reps} reps`,
      'per s': Math.round(1000 / engine.p50Ms),
      p50_ms: engine.p50Ms.toFixed(3),
      p99_ms: engine.p99Ms.toFixed(3),
      errors: 0,
      round_trips: 0,
    })
    rows.push({
      measure: `the same, each team target requiring ${engine.requirements.perRule} rep attributes`,
      'per s': Math.round(1000 / engine.requirements.p50Ms),
      p50_ms: engine.requirements.p50Ms.toFixed(3),
      p99_ms: engine.requirements.p99Ms.toFixed(3),
      errors: 0,
      round_trips: 0,
    })
    rows.push({
      measure: `dueAt on the working clock, a rep with ${engine.dueAt.holidays} holidays in the year`,
      'per s': Math.round(1000 / engine.dueAt.p50Ms),
      p50_ms: engine.dueAt.p50Ms.toFixed(4),
      p99_ms: engine.dueAt.p99Ms.toFixed(4),
      errors: 0,
      round_trips: 0,
    })
  }
  if (runs('ingest')) {
    const receiver = await startIngestReceiver(base, await signToken(key, { role: 'admin', ttl: '1h' }))
    for (const [n, concurrency] of CONCURRENCIES.entries()) {
      const serviceCpu = await cpuSince({ pid: service.pid! })
      const svc = await child<Run>('bench/load.ts', [
        '--url',
        base,
        '--token',
        token,
        '--concurrency',
        String(concurrency),
        '--count',
        String(LEADS_PER_RUN),
        '--tag',
        `c${concurrency}`,
      ])
      // The service's deliveries of this run finish before the baseline starts: it gets the machine to itself.
      const expected = (n + 1) * LEADS_PER_RUN * EVENTS_PER_LEAD
      await receiver.drain(expected, 120_000)
      const undelivered = Math.max(0, expected - receiver.received())
      const serviceCost = await serviceCpu()
      const baseline = (deliver: boolean) =>
        measured(() =>
          child<Run>('bench/baseline.ts', [
            '--db',
            url,
            '--endpoint',
            receiver.endpointId,
            '--concurrency',
            String(concurrency),
            '--count',
            String(LEADS_PER_RUN),
            '--tag',
            `${deliver ? 'd' : 'c'}${concurrency}`,
            ...(deliver ? ['--deliver', receiver.baselineUrl] : []),
          ]),
        )
      const raw = await baseline(false)
      const delivering = await baseline(true)
      rows.push(
        { ...row(`ingest c=${concurrency} (service)`, svc, SERVICE_ROUND_TRIPS), cpu_ms_per_lead: perLead(serviceCost) },
        { ...row(`ingest c=${concurrency} (bare pg baseline)`, raw.run, BASELINE_ROUND_TRIPS), cpu_ms_per_lead: perLead(raw.cost) },
        {
          ...row(
            `ingest c=${concurrency} (bare pg baseline, delivering too)`,
            delivering.run,
            `${BASELINE_ROUND_TRIPS} + ${DELIVERING_ROUND_TRIPS}`,
          ),
          cpu_ms_per_lead: perLead(delivering.cost),
        },
      )
      rows.push({
        measure: `ingest c=${concurrency} ratio service/baseline`,
        'per s': ratio(svc, raw.run),
        p50_ms: '',
        p99_ms: '',
        errors: '',
        round_trips: '',
      })
      rows.push({
        measure: `ingest c=${concurrency} ratio service/delivering baseline`,
        'per s': ratio(svc, delivering.run),
        p50_ms: '',
        p99_ms: '',
        errors: '',
        round_trips: '',
      })
      rows.push({
        measure: `ingest c=${concurrency}: its ${LEADS_PER_RUN * EVENTS_PER_LEAD} webhooks received (errors: missing after 120 s)`,
        'per s': '',
        p50_ms: '',
        p99_ms: '',
        errors: undelivered,
        round_trips: '',
      })
    }
    await receiver.close()
  }
  if (runs('deadlines')) {
    await settle(url)
    type Lateness = { count: number; expired: number; spreadS: number; p50Ms: number; p99Ms: number }
    type Shifts = { toShiftReps: number; shiftEndsInRun: boolean; dueAfterShiftEnd: number }
    const deadlines = await child<Lateness & Shifts>('bench/deadlines.ts', [
      '--url',
      base,
      '--admin',
      await signToken(key, { role: 'admin', ttl: '1h' }),
      '--token',
      token,
      '--db',
      url,
    ])
    const shifts = deadlines.shiftEndsInRun
      ? `half the reps' shift ending inside (${deadlines.toShiftReps} offered to them, ${deadlines.dueAfterShiftEnd} due after the end)`
      : "the reps' shift end fell outside the run"
    rows.push({
      measure: `deadline lateness, ${deadlines.count} deadlines within ${deadlines.spreadS.toFixed(1)} s, ${shifts}`,
      'per s': '',
      p50_ms: deadlines.p50Ms.toFixed(0),
      p99_ms: deadlines.p99Ms.toFixed(0),
      errors: deadlines.count - deadlines.expired,
      round_trips: '',
    })
  }
  if (runs('webhooks')) {
    await settle(url)
    const hooks = await child<{
      throughput: { deliveries: number; expected: number; seconds: number; perS: number }
      latency: { count: number; p50Ms: number; p99Ms: number }
    }>('bench/webhooks.ts', ['--url', base, '--admin', await signToken(key, { role: 'admin', ttl: '1h' }), '--db', url])
    rows.push({
      measure: `webhook deliveries, ${hooks.throughput.expected} to one endpoint`,
      'per s': hooks.throughput.perS,
      p50_ms: '',
      p99_ms: '',
      errors: hooks.throughput.expected - hooks.throughput.deliveries,
      round_trips: '',
    })
    rows.push({
      measure: 'webhook first attempt, event commit → receiver',
      'per s': '',
      p50_ms: hooks.latency.p50Ms.toFixed(0),
      p99_ms: hooks.latency.p99Ms.toFixed(0),
      errors: 300 - hooks.latency.count,
      round_trips: '',
    })
  }
  if (runs('notify')) {
    // The same ingest (c=8) without and then with an email target per rep, back to back.
    const admin = await signToken(key, { role: 'admin', ttl: '1h' })
    const ingest = async (tag: string) => {
      await settle(url)
      const serviceCpu = await cpuSince({ pid: service!.pid! })
      const run = await child<Run>('bench/load.ts', [
        '--url',
        base,
        '--token',
        token,
        '--concurrency',
        '8',
        '--count',
        String(LEADS_PER_RUN),
        '--tag',
        tag,
      ])
      return { run, cost: await serviceCpu() }
    }
    await setEmailTargets(base, admin, false)
    const without = await ingest('n0')
    const reps = await setEmailTargets(base, admin, true)
    const since = new Date()
    const withMail = await ingest('n1')
    const mail = await firstMailLatency(url, since, smtp.arrivals)
    await setEmailTargets(base, admin, false)
    rows.push(
      { ...row('ingest c=8, reps without notification targets', without.run, SERVICE_ROUND_TRIPS), cpu_ms_per_lead: perLead(without.cost) },
      {
        ...row(`ingest c=8, an email target on each of ${reps} reps`, withMail.run, `${SERVICE_ROUND_TRIPS} + 2`),
        cpu_ms_per_lead: perLead(withMail.cost),
      },
      {
        measure: 'ingest c=8 ratio with email targets/without',
        'per s': ratio(withMail.run, without.run),
        p50_ms: '',
        p99_ms: '',
        errors: '',
        round_trips: '',
      },
      {
        measure: `offer email, lead arrival → SMTP server (${mail.mailed} of ${mail.offers} offers; errors: not arrived in 60 s)`,
        'per s': '',
        p50_ms: mail.p50Ms.toFixed(0),
        p99_ms: mail.p99Ms.toFixed(0),
        errors: mail.offers - mail.mailed,
        round_trips: '',
      },
    )
  }
  if (runs('predictive')) {
    await settle(url)
    const p = await child<{ leads: number; trainMs: number; auc: number; predictP50Us: number; predictP99Us: number }>(
      'bench/predictive.ts',
      ['--url', base, '--admin', await signToken(key, { role: 'admin', ttl: '1h' }), '--db', url],
    )
    rows.push({
      measure: `conversion model training, ${p.leads} leads (held-out AUC ${p.auc})`,
      'per s': '',
      p50_ms: p.trainMs,
      p99_ms: '',
      errors: 0,
      round_trips: '',
    })
    rows.push({
      measure: 'conversion prediction per lead (in process)',
      'per s': Math.round(1e6 / p.predictP50Us),
      p50_ms: (p.predictP50Us / 1000).toFixed(4),
      p99_ms: (p.predictP99Us / 1000).toFixed(4),
      errors: 0,
      round_trips: 0,
    })
  }
  rows.push({
    measure: 'service peak RSS (MB)',
    'per s': await peakRssMb(service.pid!),
    p50_ms: '',
    p99_ms: '',
    errors: '',
    round_trips: '',
  })

  console.table(rows)
  await mkdir('bench/results', { recursive: true })
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  await writeFile(
    file,
    `${JSON.stringify({ machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, leadsPerRun: LEADS_PER_RUN, rows }, null, 2)}\n`,
  )
  console.log(`written to ${file}`)
} finally {
  service?.kill('SIGTERM')
  await new Promise((resolve) => (service && service.exitCode === null ? service.once('exit', resolve) : resolve(undefined)))
  await cluster.close()
  await smtp.close()
}

/**
 * Between parts: vacuum and checkpoint, untimed, so that one part's autovacuum and dirty
 * pages (the ingest runs write ~100,000 rows) do not land on the next part's figures.
 */
async function settle(databaseUrl: string): Promise<void> {
  await adminStatement(databaseUrl, 'vacuum (analyze)')
  await adminStatement(databaseUrl, 'checkpoint')
}

/** A baseline run and the CPU it cost: its process (reaped by this one) and PostgreSQL. */
async function measured(start: () => Promise<Run>): Promise<{ run: Run; cost: { app: number; db: number | undefined } }> {
  const cpu = await cpuSince({ pid: process.pid, reaped: true })
  const run = await start()
  return { run, cost: await cpu() }
}

function row(measure: string, run: Run, roundTrips: number | string) {
  const sorted = [...run.latencies].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return {
    measure,
    'per s': Math.round(run.count / run.seconds),
    p50_ms: at(0.5).toFixed(1),
    p99_ms: at(0.99).toFixed(1),
    errors: run.errors,
    round_trips: roundTrips,
  }
}

/**
 * From now until the returned function is called: CPU seconds of the process `pid` (with
 * `reaped`, of the children it waited for instead: the baseline's client) and of PostgreSQL.
 */
async function cpuSince({ pid, reaped = false }: { pid: number; reaped?: boolean }) {
  const read = async () => ({
    app: await processCpuSeconds(pid, { reaped }),
    db: postmaster === undefined ? undefined : await postgresCpuSeconds(postmaster),
  })
  const before = await read()
  return async () => {
    const after = await read()
    return { app: after.app - before.app, db: after.db === undefined || before.db === undefined ? undefined : after.db - before.db }
  }
}

/** "app + db" CPU milliseconds per lead; the database's part only when it runs on this machine. */
function perLead({ app, db }: { app: number; db: number | undefined }): string {
  const ms = (seconds: number) => ((seconds * 1000) / LEADS_PER_RUN).toFixed(1)
  return db === undefined ? ms(app) : `${ms(app)} + ${ms(db)}`
}

function ratio(a: Run, b: Run): string {
  return (a.count / a.seconds / (b.count / b.seconds)).toFixed(2)
}

/** Linux's high-water mark of the process's resident memory. */
async function peakRssMb(pid: number): Promise<number | string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  return kb ? Math.round(Number(kb) / 1024) : 'n/a'
}

function child<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    proc.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} exited ${code}`))))
  })
}

async function waitReady(base: string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 200) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('the service did not become ready within 30 s')
}
