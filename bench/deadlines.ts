// Deadline lateness, run as its own process against the running service: 1,000 leads
// routed to a desk, with their deadlines spread evenly over the same 5 s (the issue's "1,000
// deadlines in the same 5 s"). The leads are posted in 10 chunks of 100, each under a rule of
// its own: chunk k's window is chosen, and its posting started at the right moment, so that its
// deadlines begin k × 0.45 s after the first chunk's. Windows are whole seconds, hence the
// wait (0.3 to 1.3 s) before a chunk. The spread is 4.05 s plus the last chunk's posting time,
// and the table prints it. Nobody accepts; the deadline jobs expire them. Lateness = the handoff's
// expiry (responded_at) − its deadline_at, read from the database. Prints {count, expired,
// spreadS, p50Ms, p99Ms}, and what the shifts did: leads offered to reps on the ending shift,
// and deadlines falling due after it ended.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { apiAs } from './api.ts'

const { values } = parseArgs({
  options: { url: { type: 'string' }, admin: { type: 'string' }, token: { type: 'string' }, db: { type: 'string' } },
})
const LEADS = 1000
const CONCURRENCY = 32
const CHUNKS = 10
// 9 steps of 0.45 s, plus the last chunk's own posting time: the deadlines span about 5 s.
const STEP_MS = 450
// Time left for the rule's PUT before a chunk is due to start.
const PUT_MS = 300
// The first chunk's shortest window: longer than posting every chunk takes, waits included.
const DEADLINE_SECONDS = 40

const call = (token: string, method: string, path: string, body?: object) => apiAs(values.url!, token)(method, path, body)

// Half the desk works a shift that ends inside the run, at a whole minute, and starts again a
// minute later. The deadlines begin 2 s before that minute, so they fall due on both sides of
// the end, and routing applies the end-of-shift guard to every lead (the first chunk's window
// is DEADLINE_SECONDS to 100 s, as the minute falls).
const shiftEnds = new Date(Math.ceil((Date.now() + (DEADLINE_SECONDS + 10) * 1000) / 60_000) * 60_000)
const hhmm = (at: Date) => at.toISOString().slice(11, 16)
const shift = [
  { start: '00:00', end: hhmm(shiftEnds) === '00:00' ? '24:00' : hhmm(shiftEnds) },
  ...(hhmm(shiftEnds) < '23:59' ? [{ start: hhmm(new Date(shiftEnds.getTime() + 60_000)), end: '24:00' }] : []),
]
const everyDay = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, shift]))
const members: Array<{ repId: string }> = []
const onShift = new Set<string>()
for (let r = 0; r < 20; r++) {
  const hours = r % 2 === 0 ? { workingHours: everyDay } : {}
  const rep = await call(values.admin!, 'POST', '/v1/reps', {
    name: `Deadline rep ${r}`,
    email: `deadline-${r}@baton.example`,
    timezone: 'UTC',
    ...hours,
  })
  members.push({ repId: String(rep.id) })
  if (r % 2 === 0) onShift.add(String(rep.id))
}
const desk = String((await call(values.admin!, 'POST', '/v1/teams', { name: 'Deadline desk', strategy: 'round_robin', members })).id)
const live = (await call(values.admin!, 'GET', '/v1/routing')) as { rules: object[]; fallback: object | null }

/** Puts a rule giving `seconds` to accept leads of `source` ahead of the live rules. */
async function deadlineRule(source: string, seconds: number, others: object[]): Promise<object[]> {
  const rules = [
    {
      name: source,
      when: { field: 'source', op: 'eq', value: source },
      assign: { type: 'team', teamId: desk },
      acceptWithinSeconds: seconds,
    },
    ...others,
  ]
  await call(values.admin!, 'PUT', '/v1/routing', { rules, fallback: live.fallback })
  return rules
}

const ids: string[] = []
let toShiftReps = 0
/** Posts leads `from`..`to` (exclusive) of `source` at CONCURRENCY. */
async function post(source: string, from: number, to: number): Promise<void> {
  let issued = from
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < to) {
        const i = issued++
        const answer = await call(values.token!, 'POST', '/v1/leads', {
          email: `deadline-${i}@deadline${i % 50}.example`,
          source,
          signals: { demoRequested: true },
        })
        const handoff = answer.handoff as { id: string; repId: string }
        ids.push(handoff.id)
        if (onShift.has(handoff.repId)) toShiftReps++
      }
    }),
  )
}

const firstDue = shiftEnds.getTime() - 2000
let rules = live.rules
for (let k = 0; k < CHUNKS; k++) {
  const due = firstDue + k * STEP_MS
  const seconds = Math.floor((due - Date.now() - PUT_MS) / 1000)
  rules = await deadlineRule(`deadline-bench-${k}`, seconds, rules)
  // Start posting when the chunk's first lead, given `seconds`, falls due at `due`.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - seconds * 1000 - Date.now())))
  await post(`deadline-bench-${k}`, (k * LEADS) / CHUNKS, ((k + 1) * LEADS) / CHUNKS)
}

const pool = new pg.Pool({ connectionString: values.db, max: 2 })
const {
  rows: [window],
} = await pool.query<{ first: Date; last: Date }>(
  'select min(deadline_at) as first, max(deadline_at) as last from handoffs where id = any($1::uuid[])',
  [ids],
)
// Wait for the last deadline, then up to 30 s more for the stragglers.
const waitUntil = window!.last.getTime() + 30_000
for (;;) {
  const {
    rows: [left],
  } = await pool.query<{ n: number }>(`select count(*)::int as n from handoffs where id = any($1::uuid[]) and status = 'pending'`, [ids])
  if (left!.n === 0 || Date.now() > waitUntil) break
  await new Promise((resolve) => setTimeout(resolve, 500))
}
const { rows } = await pool.query<{ ms: number }>(
  `select extract(epoch from (responded_at - deadline_at)) * 1000 as ms from handoffs where id = any($1::uuid[]) and status = 'expired' order by 1`,
  [ids],
)
const {
  rows: [dueAfter],
} = await pool.query<{ n: number }>('select count(*)::int as n from handoffs where id = any($1::uuid[]) and deadline_at > $2', [
  ids,
  shiftEnds,
])
await pool.end()
const lateness = rows.map((r) => Number(r.ms))
const at = (q: number) => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? NaN
console.log(
  JSON.stringify({
    count: ids.length,
    expired: lateness.length,
    spreadS: (window!.last.getTime() - window!.first.getTime()) / 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    toShiftReps,
    shiftEndsInRun: shiftEnds > window!.first && shiftEnds < new Date(waitUntil),
    dueAfterShiftEnd: dueAfter!.n,
  }),
)
