// Routing engine micro-benchmark, run as its own process: decision time of the pure
// engine for 1,000 rules over 200 reps (10 teams of 20, reps in four time zones with
// working hours and holidays), each lead matching a rule somewhere in the list.
// Prints {decisions, p50Ms, p99Ms}.
import { route, type Candidates, type TeamState } from '../src/modules/routing/engine.ts'
import type { RepState } from '../src/modules/routing/eligibility.ts'
import { compileRuleset, type CompiledRuleset } from '../src/modules/routing/compile-ruleset.ts'
import type { Ruleset } from '../src/db/schema/json/ruleset.ts'
import { dueAt } from '../src/modules/reps/working-time.ts'

const RULES = 1000
const REPS = 200
const TEAMS = 10
const DECISIONS = 5000
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'ES', 'IT', 'NL']
const LANGUAGES = ['de', 'fr', 'ja', 'pt', 'es']
const SEGMENTS = ['smb', 'mid-market', 'enterprise']
const uuid = (n: number, kind: number) => `01900000-0000-7000-8${kind}00-${String(n).padStart(12, '0')}`

const reps: RepState[] = Array.from({ length: REPS }, (_, i) => ({
  id: uuid(i, 1),
  name: `Rep ${i}`,
  timezone: ZONES[i % ZONES.length]!,
  workingHours:
    i % 5 === 0
      ? null
      : {
          mon: [{ start: '08:00', end: '18:00' }],
          tue: [{ start: '08:00', end: '18:00' }],
          wed: [
            { start: '08:00', end: '12:00' },
            { start: '13:00', end: '18:00' },
          ],
          thu: [{ start: '08:00', end: '18:00' }],
          fri: [{ start: '08:00', end: '16:00' }],
        },
  holidays: ['2026-12-24', '2026-12-25'],
  status: i % 17 === 0 ? 'away' : 'available',
  maxPending: 10,
  maxPerDay: 40,
  pending: i % 11,
  unworked: i % 3,
  day: '2026-01-05',
  dayCount: i % 41,
  deleted: false,
  // Half of each team covers a language, a segment and two territories a lead may ask for.
  attributes: {
    territories: [COUNTRIES[i % COUNTRIES.length]!, COUNTRIES[(i + 3) % COUNTRIES.length]!],
    languages: [LANGUAGES[i % LANGUAGES.length]!, 'en'],
    segments: [SEGMENTS[i % SEGMENTS.length]!],
  },
}))
const teams: TeamState[] = Array.from({ length: TEAMS }, (_, t) => ({
  id: uuid(t, 2),
  name: `Team ${t}`,
  strategy: (['round_robin', 'weighted', 'least_loaded'] as const)[t % 3]!,
  members: reps.slice(t * 20, t * 20 + 20).map((r, i) => ({ repId: r.id, weight: 1 + (i % 3) })),
  turn: 1,
}))
// Rule i matches leads of one country and one employee band: a lead's match lands anywhere in the list.
const ruleset: Ruleset = {
  rules: Array.from({ length: RULES }, (_, i) => ({
    name: `rule ${i}`,
    when: {
      all: [
        { field: 'country', op: 'eq', value: COUNTRIES[i % COUNTRIES.length] },
        { field: 'employees', op: 'between', value: [i, i + 5] },
        {
          any: [
            { field: 'tier', op: 'in', value: ['high', 'demo'] },
            { field: 'signals.demoRequested', op: 'eq', value: true },
          ],
        },
      ],
    },
    assign: i % 50 === 0 ? { type: 'account_owner' } : { type: 'team', teamId: teams[i % TEAMS]!.id },
  })),
  fallback: { type: 'team', teamId: teams[0]!.id },
}
// The same rules, each team target requiring three of the rep's attributes to match the lead.
const REQUIRE = [
  { attribute: 'territories', matches: 'country' },
  { attribute: 'languages', matches: 'custom.language' },
  { attribute: 'segments', matches: 'custom.segment' },
] as const
const requiring: Ruleset = {
  ...ruleset,
  rules: ruleset.rules.map((rule) => (rule.assign.type === 'team' ? { ...rule, assign: { ...rule.assign, require: [...REQUIRE] } } : rule)),
}
const compile = (body: Ruleset) => {
  const compiled = compileRuleset(body, 1)
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors))
  return compiled.ruleset
}
const candidates: Candidates = { reps: new Map(reps.map((r) => [r.id, r])), teams: new Map(teams.map((t) => [t.id, t])), account: null }

// As routing decides for a lead: each rule's promise judged against each rep's shift (the end-of-shift guard).
const deadlineOf = (rule: { acceptWithinSeconds: number | null; clock: 'wall' | 'working' | null }) => ({
  seconds: rule.acceptWithinSeconds ?? 1800,
  clock: rule.clock ?? ('working' as const),
})
/** Decision times (ms) in the steady state: the first decisions warm up the JIT and the time zone formatters. */
function decide(compiled: CompiledRuleset): { p50Ms: number; p99Ms: number } {
  const times: number[] = []
  for (let i = 0; i < DECISIONS; i++) {
    const lead = {
      email: `l${i}@x.example`,
      country: COUNTRIES[i % COUNTRIES.length],
      employees: i % (RULES + 10),
      tier: 'demo',
      score: 40,
      signals: { demoRequested: true },
      custom: { language: LANGUAGES[i % LANGUAGES.length], segment: SEGMENTS[i % SEGMENTS.length] },
    }
    // Mondays and Fridays through the day, so eligibility takes every branch.
    const now = new Date(Date.UTC(2026, 0, 5 + (i % 2) * 4, i % 24, (i * 7) % 60))
    const started = performance.now()
    route(compiled, lead, candidates, now, { deadlineOf })
    times.push(performance.now() - started)
  }
  const steady = times.slice(500).sort((a, b) => a - b)
  const at = (q: number) => steady[Math.min(steady.length - 1, Math.floor(q * steady.length))]!
  return { p50Ms: at(0.5), p99Ms: at(0.99) }
}
const plain = decide(compile(ruleset))
const required = decide(compile(requiring))

// dueAt on the working clock for a rep with a year of holidays (every Friday, and the 24th to
// the 31st of December), from starts spread over the year and the day.
const holidays = Array.from({ length: 365 }, (_, d) => new Date(Date.UTC(2026, 0, 1 + d)))
  .filter((day) => day.getUTCDay() === 5 || (day.getUTCMonth() === 11 && day.getUTCDate() >= 24))
  .map((day) => day.toISOString().slice(0, 10))
const busy = { timezone: 'Europe/Berlin', workingHours: reps[1]!.workingHours, holidays }
const dueTimes: number[] = []
for (let i = 0; i < 20_000; i++) {
  const start = new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 364) * 86_400_000 + ((i * 37) % 1440) * 60_000)
  const began = performance.now()
  dueAt(start, 1800 + (i % 8) * 3600, 'working', busy)
  dueTimes.push(performance.now() - began)
}
const dueSteady = dueTimes.slice(2000).sort((a, b) => a - b)
const dueQ = (q: number) => dueSteady[Math.min(dueSteady.length - 1, Math.floor(q * dueSteady.length))]!
console.log(
  JSON.stringify({
    decisions: DECISIONS - 500,
    rules: RULES,
    reps: REPS,
    ...plain,
    requirements: { perRule: REQUIRE.length, ...required },
    dueAt: { holidays: holidays.length, calls: dueSteady.length, p50Ms: dueQ(0.5), p99Ms: dueQ(0.99) },
  }),
)
