// The pure routing engine, by tables: rotation strategies, every eligibility reason,
// time zones across daylight saving, fall-through and fallback. No database, no clock.
import t from 'tap'
import type { WorkingHours } from '../../src/db/schema/reps.ts'
import type { TeamStrategy } from '../../src/db/schema/teams.ts'
import { compileCondition, type Condition } from '../../src/modules/conditions/condition.ts'
import { eligibility, type RepState } from '../../src/modules/routing/eligibility.ts'
import { route, type Candidates, type RouteResult, type TeamState } from '../../src/modules/routing/engine.ts'
import { addDays, localTime, weekdayOf, zonedInstant } from '../../src/modules/routing/local-time.ts'
import { turnOrder, weightedCycle, type EligibleMember } from '../../src/modules/routing/rotation.ts'
import { compileRuleset, type CompiledRuleset } from '../../src/modules/routing/ruleset.ts'
import type { Assign, Ruleset } from '../../src/modules/routing/routing.schemas.ts'

/** Monday 2026-01-05, 11:00 in Berlin (CET). */
const MONDAY = new Date('2026-01-05T10:00:00Z')

const capitalised = (id: string) => id.charAt(0).toUpperCase() + id.slice(1)
const weekdays = (start: string, end: string): WorkingHours => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start, end }]]))
const NINE_TO_FIVE = weekdays('09:00', '17:00')

function rep(id: string, overrides: Partial<RepState> = {}): RepState {
  return {
    id, name: capitalised(id), timezone: 'Europe/Berlin', workingHours: null, holidays: [], status: 'available',
    maxPending: null, maxPerDay: null, pending: 0, unworked: 0, day: null, dayCount: 0, deleted: false, ...overrides,
  }
}

function team(id: string, strategy: TeamStrategy, members: Array<string | [string, number]>, turn: number | null = 1): TeamState {
  const list = members.map((m) => (typeof m === 'string' ? { repId: m, weight: 1 } : { repId: m[0], weight: m[1] }))
  return { id, name: capitalised(id), strategy, members: list, turn }
}

function candidates(reps: RepState[], teams: TeamState[] = [], extra: Partial<Pick<Candidates, 'account' | 'excluded'>> = {}): Candidates {
  return { reps: new Map(reps.map((r) => [r.id, r])), teams: new Map(teams.map((tm) => [tm.id, tm])), account: null, ...extra }
}

function compiled(body: Ruleset): CompiledRuleset {
  const result = compileRuleset(body, 7)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.ruleset
}

const toRep = (repId: string): Assign => ({ type: 'rep', repId })
const toTeam = (teamId: string): Assign => ({ type: 'team', teamId })
const toOwner: Assign = { type: 'account_owner' }
const country = (value: string): Condition => ({ field: 'country', op: 'eq', value })

/** What a user notices of a decision: who, why, when to retry, and which rules were tried. */
function summary(result: RouteResult) {
  const assigned = result.outcome === 'assigned'
  return {
    outcome: result.outcome,
    rule: assigned ? result.rule.name : null,
    order: assigned ? result.order : [],
    reason: result.reason,
    retryAt: assigned ? null : (result.retryAt?.toISOString() ?? null),
    steps: result.trace.steps.map((s) => `${s.rule}: ${s.result}`),
    skipped: result.trace.skipped,
  }
}

/** An eligibility verdict with opensAt as an ISO string, `opensAt` left out when not given. */
function verdict(r: RepState, at: string) {
  const e = eligibility(r, new Date(at))
  return { eligible: e.eligible, ...(e.reason === undefined ? {} : { reason: e.reason }), ...('opensAt' in e ? { opensAt: e.opensAt?.toISOString() ?? null } : {}) }
}
const expected = (reason: string | null, opensAt: string | null = null) => (reason === null ? { eligible: true } : { eligible: false, reason, opensAt })

const members = (...spec: Array<[string, number, number?]>): EligibleMember[] => spec.map(([repId, weight, load = 0]) => ({ repId, weight, load }))

t.test('round_robin: turn n goes to member (n − 1) mod count', async (t) => {
  const abc = members(['a', 1], ['b', 1], ['c', 1])
  const cases: Array<[number, string[]]> = [[1, ['a', 'b', 'c']], [2, ['b', 'c', 'a']], [3, ['c', 'a', 'b']], [4, ['a', 'b', 'c']], [302, ['b', 'c', 'a']]]
  for (const [turn, order] of cases) t.same(turnOrder('round_robin', abc, turn), order, `turn ${turn}`)
  t.same(turnOrder('round_robin', [], 1), [], 'nobody eligible, nobody in order')

  const five = members(['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1])
  const counts = new Map<string, number>()
  for (let turn = 1; turn <= 200; turn++) {
    const first = turnOrder('round_robin', five, turn)[0]!
    counts.set(first, (counts.get(first) ?? 0) + 1)
  }
  t.same(Object.fromEntries(counts), { a: 40, b: 40, c: 40, d: 40, e: 40 }, '5 reps × 200 turns: 40 each')
})

t.test('weighted: a smooth cycle, exact shares over every full window', async (t) => {
  const cycles: Array<[string, Array<[string, number]>, string[]]> = [
    ['2:1 interleaves', [['a', 2], ['b', 1]], ['a', 'b', 'a']],
    ['1:1:1 is a rotation', [['a', 1], ['b', 1], ['c', 1]], ['a', 'b', 'c']],
    ['2:1:1', [['a', 2], ['b', 1], ['c', 1]], ['a', 'b', 'c', 'a']],
    ['3:1:1 spreads the heavy rep out', [['a', 3], ['b', 1], ['c', 1]], ['a', 'b', 'a', 'c', 'a']],
    ['5:1:1 never gives the light reps two in a row', [['a', 5], ['b', 1], ['c', 1]], ['a', 'a', 'b', 'a', 'c', 'a', 'a']],
  ]
  for (const [name, spec, cycle] of cycles) t.same(weightedCycle(spec.map(([repId, weight]) => ({ repId, weight }))), cycle, name)

  const team211 = members(['a', 2], ['b', 1], ['c', 1])
  for (const n of [1, 2, 5]) {
    for (let start = 1; start <= 8; start++) {
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
      for (let turn = start; turn < start + n * 4; turn++) counts[turnOrder('weighted', team211, turn)[0]!]! += 1
      t.same(counts, { a: 2 * n, b: n, c: n }, `${n * 4} turns from turn ${start}`)
    }
  }
  // After the pick, the others follow in member order from the pick on.
  const orders: Array<[number, string[]]> = [[1, ['a', 'b', 'c']], [2, ['b', 'c', 'a']], [3, ['c', 'a', 'b']], [4, ['a', 'b', 'c']]]
  for (const [turn, order] of orders) t.same(turnOrder('weighted', team211, turn), order, `2:1:1 turn ${turn}`)
})

t.test('least_loaded: the least open work first, ties rotated by turn', async (t) => {
  const cases: Array<[string, EligibleMember[], number, string[]]> = [
    ['one least loaded, then the others by load', members(['a', 1, 3], ['b', 1, 1], ['c', 1, 1], ['d', 1, 0]), 1, ['d', 'b', 'c', 'a']],
    ['the turn does not move a single least loaded rep', members(['a', 1, 3], ['b', 1, 1], ['c', 1, 0]), 2, ['c', 'b', 'a']],
    ['a tie, turn 1', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 1, ['a', 'b', 'c']],
    ['a tie, turn 2', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 2, ['b', 'a', 'c']],
    ['a tie, turn 3', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 3, ['a', 'b', 'c']],
    ['all equal rotates like round robin', members(['a', 1, 1], ['b', 1, 1], ['c', 1, 1]), 2, ['b', 'c', 'a']],
  ]
  for (const [name, list, turn, order] of cases) t.same(turnOrder('least_loaded', list, turn), order, name)
})

t.test('eligibility: every reason, and when the rep opens', async (t) => {
  const off = 'outside working hours 09:00–17:00 Europe/Berlin'
  const today = { maxPerDay: 20, day: '2026-01-05', dayCount: 20 }
  const cases: Array<[string, Partial<RepState>, string, string | null, string | null]> = [
    ['no working hours: always working', {}, '2026-01-05T10:00:00Z', null, null],
    ['inside working hours', { workingHours: NINE_TO_FIVE }, '2026-01-05T10:00:00Z', null, null],
    ['09:00 sharp: the start is inclusive', { workingHours: NINE_TO_FIVE }, '2026-01-05T08:00:00Z', null, null],
    ['a minute before the start', { workingHours: NINE_TO_FIVE }, '2026-01-05T07:59:00Z', off, '2026-01-05T08:00:00.000Z'],
    ['16:59 is still working', { workingHours: NINE_TO_FIVE }, '2026-01-05T15:59:00Z', null, null],
    ['17:00 sharp: the end is exclusive', { workingHours: NINE_TO_FIVE }, '2026-01-05T16:00:00Z', off, '2026-01-06T08:00:00.000Z'],
    ['a lunch break, windows listed out of order', { workingHours: { mon: [{ start: '13:00', end: '17:00' }, { start: '09:00', end: '12:00' }] } }, '2026-01-05T11:30:00Z',
      'outside working hours 09:00–12:00, 13:00–17:00 Europe/Berlin', '2026-01-05T12:00:00.000Z'],
    ['a Saturday without hours', { workingHours: NINE_TO_FIVE }, '2026-01-10T10:00:00Z', 'not working on Saturdays (Europe/Berlin)', '2026-01-12T08:00:00.000Z'],
    ['a day with an empty list', { workingHours: { mon: [], tue: [{ start: '09:00', end: '17:00' }] } }, '2026-01-05T10:00:00Z', 'not working on Mondays (Europe/Berlin)', '2026-01-06T08:00:00.000Z'],
    ['a window ending at 24:00, a minute before midnight', { workingHours: { mon: [{ start: '18:00', end: '24:00' }] } }, '2026-01-05T22:59:00Z', null, null],
    ['24:00 ends the day: midnight is the next day', { workingHours: { mon: [{ start: '18:00', end: '24:00' }] } }, '2026-01-05T23:00:00Z',
      'not working on Tuesdays (Europe/Berlin)', '2026-01-12T17:00:00.000Z'],
    ['never working: no opening within the horizon', { workingHours: {} }, '2026-01-05T10:00:00Z', 'not working on Mondays (Europe/Berlin)', null],
    ['deleted', { deleted: true }, '2026-01-05T10:00:00Z', 'no longer a rep', null],
    ['deleted comes before away', { deleted: true, status: 'away' }, '2026-01-05T10:00:00Z', 'no longer a rep', null],
    ['away', { status: 'away' }, '2026-01-05T10:00:00Z', 'away', null],
    ['away outside working hours: away, with no opening', { status: 'away', workingHours: NINE_TO_FIVE }, '2026-01-05T06:00:00Z', 'away', null],
    ['at capacity', { maxPending: 3, pending: 3 }, '2026-01-05T10:00:00Z', 'at capacity 3/3', null],
    ['over capacity', { maxPending: 3, pending: 4 }, '2026-01-05T10:00:00Z', 'at capacity 4/3', null],
    ['under capacity', { maxPending: 3, pending: 2 }, '2026-01-05T10:00:00Z', null, null],
    ['accepted leads are not pending ones', { maxPending: 3, pending: 0, unworked: 5 }, '2026-01-05T10:00:00Z', null, null],
    ['capacity comes before a holiday', { maxPending: 1, pending: 1, holidays: ['2026-01-05'] }, '2026-01-05T10:00:00Z', 'at capacity 1/1', null],
    ['daily limit reached: opens at tomorrow\'s window', { ...today, workingHours: NINE_TO_FIVE }, '2026-01-05T10:00:00Z', 'daily limit reached 20/20', '2026-01-06T08:00:00.000Z'],
    ['daily limit reached, always working: opens at local midnight', today, '2026-01-05T10:00:00Z', 'daily limit reached 20/20', '2026-01-05T23:00:00.000Z'],
    ['daily limit used up before today\'s window: not today', { ...today, workingHours: NINE_TO_FIVE }, '2026-01-05T07:00:00Z', off, '2026-01-06T08:00:00.000Z'],
    ['under the daily limit', { ...today, dayCount: 19 }, '2026-01-05T10:00:00Z', null, null],
    ['a count for an earlier day does not count', { ...today, day: '2026-01-04' }, '2026-01-05T10:00:00Z', null, null],
    ['on holiday', { holidays: ['2026-01-05'], workingHours: NINE_TO_FIVE }, '2026-01-05T10:00:00Z', 'on holiday (2026-01-05)', '2026-01-06T08:00:00.000Z'],
    ['holidays in a row are skipped', { holidays: ['2026-01-05', '2026-01-06'], workingHours: NINE_TO_FIVE }, '2026-01-05T10:00:00Z', 'on holiday (2026-01-05)', '2026-01-07T08:00:00.000Z'],
    ['a holiday, the weekend, a holiday', { holidays: ['2026-01-09', '2026-01-12'], workingHours: NINE_TO_FIVE }, '2026-01-09T10:00:00Z', 'on holiday (2026-01-09)', '2026-01-13T08:00:00.000Z'],
    ['a holiday tomorrow is no holiday today', { holidays: ['2026-01-06'] }, '2026-01-05T10:00:00Z', null, null],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)
})

t.test('eligibility in the rep\'s own zone, across daylight saving changes', async (t) => {
  const berlin = 'outside working hours 09:00–17:00 Europe/Berlin'
  const newYork = 'outside working hours 09:00–17:00 America/New_York'
  const sundays = (start: string, end: string): WorkingHours => ({ sun: [{ start, end }] })
  const ny = { timezone: 'America/New_York' }
  const cases: Array<[string, Partial<RepState>, string, string | null, string | null]> = [
    ['Berlin winter: 09:00 CET is 08:00Z', { workingHours: NINE_TO_FIVE }, '2026-01-05T08:00:00Z', null, null],
    ['Berlin winter: 07:00Z is 08:00 CET', { workingHours: NINE_TO_FIVE }, '2026-01-05T07:00:00Z', berlin, '2026-01-05T08:00:00.000Z'],
    ['Berlin summer: 09:00 CEST is 07:00Z', { workingHours: NINE_TO_FIVE }, '2026-06-01T07:00:00Z', null, null],
    ['Berlin summer: 15:00Z is 17:00 CEST', { workingHours: NINE_TO_FIVE }, '2026-06-01T15:00:00Z', berlin, '2026-06-02T07:00:00.000Z'],
    ['Friday before spring forward opens Monday at 09:00 CEST', { workingHours: NINE_TO_FIVE }, '2026-03-27T17:00:00Z', berlin, '2026-03-30T07:00:00.000Z'],
    ['Friday before fall back opens Monday at 09:00 CET', { workingHours: NINE_TO_FIVE }, '2026-10-23T16:00:00Z', berlin, '2026-10-26T08:00:00.000Z'],
    ['a Sunday shift on the spring-forward day', { workingHours: sundays('09:00', '17:00') }, '2026-03-28T12:00:00Z', 'not working on Saturdays (Europe/Berlin)', '2026-03-29T07:00:00.000Z'],
    ['a Sunday shift on the fall-back day', { workingHours: sundays('09:00', '17:00') }, '2026-10-24T12:00:00Z', 'not working on Saturdays (Europe/Berlin)', '2026-10-25T08:00:00.000Z'],
    ['a window starting in the skipped hour opens at 03:30 CEST', { workingHours: sundays('02:30', '04:00') }, '2026-03-28T12:00:00Z', 'not working on Saturdays (Europe/Berlin)', '2026-03-29T01:30:00.000Z'],
    ['01:59 CET, just before the gap', { workingHours: sundays('02:30', '04:00') }, '2026-03-29T00:59:00Z', 'outside working hours 02:30–04:00 Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    ['03:30 CEST is inside 02:30–04:00', { workingHours: sundays('02:30', '04:00') }, '2026-03-29T01:30:00Z', null, null],
    ['New York winter: 09:00 EST is 14:00Z', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-06T14:00:00Z', null, null],
    ['New York winter: 13:59Z is 08:59 EST', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-06T13:59:00Z', newYork, '2026-03-06T14:00:00.000Z'],
    ['New York: Friday before spring forward opens Monday at 09:00 EDT', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-06T23:00:00Z', newYork, '2026-03-09T13:00:00.000Z'],
    ['New York summer: 09:00 EDT is 13:00Z', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-09T13:00:00Z', null, null],
    ['New York: Friday before fall back opens Monday at 09:00 EST', { ...ny, workingHours: NINE_TO_FIVE }, '2026-10-30T22:00:00Z', newYork, '2026-11-02T14:00:00.000Z'],
    ['New York: Sunday shift on the spring-forward day', { ...ny, workingHours: sundays('09:00', '17:00') }, '2026-03-07T18:00:00Z', 'not working on Saturdays (America/New_York)', '2026-03-08T13:00:00.000Z'],
    ['New York: Sunday shift on the fall-back day', { ...ny, workingHours: sundays('09:00', '17:00') }, '2026-10-31T18:00:00Z', 'not working on Saturdays (America/New_York)', '2026-11-01T14:00:00.000Z'],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)

  // 01:30Z on 2026-10-25 is the second 02:30 in Berlin (CET); clocks show 02:40 again at 01:40Z.
  const repeated = rep('ann', { workingHours: sundays('02:40', '03:00') })
  t.same(verdict(repeated, '2026-10-25T01:40:00Z'), { eligible: true }, 'the second 02:40 is inside 02:40–03:00')
  t.equal(verdict(repeated, '2026-10-25T01:30:00Z').opensAt, '2026-10-25T01:40:00.000Z', 'in the repeated hour, opens at the second 02:40')
})

t.test('a rep\'s local date, not UTC\'s, decides holidays and the daily limit', async (t) => {
  // 2026-01-05T12:00Z is Tuesday 01:00 on 2026-01-06 in Auckland (NZDT, +13).
  const auckland = { timezone: 'Pacific/Auckland' }
  // 2026-01-05T05:00Z is Sunday 21:00 on 2026-01-04 in Los Angeles (PST, −8).
  const la = { timezone: 'America/Los_Angeles' }
  const cases: Array<[string, Partial<RepState>, string, string | null, string | null]> = [
    ['Auckland: a holiday on the local date', { ...auckland, holidays: ['2026-01-06'] }, '2026-01-05T12:00:00Z', 'on holiday (2026-01-06)', '2026-01-06T11:00:00.000Z'],
    ['Auckland: UTC\'s date is yesterday there', { ...auckland, holidays: ['2026-01-05'] }, '2026-01-05T12:00:00Z', null, null],
    ['Auckland: today\'s count is the local day\'s', { ...auckland, maxPerDay: 5, day: '2026-01-06', dayCount: 5 }, '2026-01-05T12:00:00Z', 'daily limit reached 5/5', '2026-01-06T11:00:00.000Z'],
    ['Auckland: a count for UTC\'s date is yesterday\'s', { ...auckland, maxPerDay: 5, day: '2026-01-05', dayCount: 5 }, '2026-01-05T12:00:00Z', null, null],
    ['Los Angeles: a holiday on the local date', { ...la, holidays: ['2026-01-04'] }, '2026-01-05T05:00:00Z', 'on holiday (2026-01-04)', '2026-01-05T08:00:00.000Z'],
    ['Los Angeles: UTC\'s date is tomorrow there', { ...la, holidays: ['2026-01-05'] }, '2026-01-05T05:00:00Z', null, null],
    ['Los Angeles: the limit of the local day', { ...la, maxPerDay: 3, day: '2026-01-04', dayCount: 3 }, '2026-01-05T05:00:00Z', 'daily limit reached 3/3', '2026-01-05T08:00:00.000Z'],
    ['Los Angeles: a count for UTC\'s date is not today\'s', { ...la, maxPerDay: 3, day: '2026-01-05', dayCount: 3 }, '2026-01-05T05:00:00Z', null, null],
    ['Los Angeles: still Sunday there', { ...la, workingHours: NINE_TO_FIVE }, '2026-01-05T05:00:00Z', 'not working on Sundays (America/Los_Angeles)', '2026-01-05T17:00:00.000Z'],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)
})

t.test('local time helpers across daylight saving changes', async (t) => {
  const instants: Array<[string, string, number, string, string]> = [
    ['Berlin, a wall time in the spring gap reads as the old offset (03:30 CEST)', '2026-03-29', 150, 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    ['Berlin, 02:00 on the spring-forward day is 03:00 CEST', '2026-03-29', 120, 'Europe/Berlin', '2026-03-29T01:00:00.000Z'],
    ['Berlin, 01:00 before the change', '2026-03-29', 60, 'Europe/Berlin', '2026-03-29T00:00:00.000Z'],
    ['Berlin, 09:00 after the change', '2026-03-29', 540, 'Europe/Berlin', '2026-03-29T07:00:00.000Z'],
    ['Berlin, a repeated wall time is its first occurrence', '2026-10-25', 150, 'Europe/Berlin', '2026-10-25T00:30:00.000Z'],
    ['Berlin, 03:00 after falling back', '2026-10-25', 180, 'Europe/Berlin', '2026-10-25T02:00:00.000Z'],
    ['Berlin, 24:00 is the next midnight', '2026-01-05', 1440, 'Europe/Berlin', '2026-01-05T23:00:00.000Z'],
    ['New York, 02:30 in the spring gap', '2026-03-08', 150, 'America/New_York', '2026-03-08T07:30:00.000Z'],
    ['New York, the repeated 01:30 is its first (EDT) occurrence', '2026-11-01', 90, 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['Auckland, midnight is the previous UTC day', '2026-01-06', 0, 'Pacific/Auckland', '2026-01-05T11:00:00.000Z'],
  ]
  for (const [name, date, minutes, zone, iso] of instants) t.equal(zonedInstant(date, minutes, zone).toISOString(), iso, name)

  const locals: Array<[string, string, string, ReturnType<typeof localTime>]> = [
    ['Berlin, 01:59 CET before the gap', '2026-03-29T00:59:00Z', 'Europe/Berlin', { date: '2026-03-29', weekday: 'sun', minutes: 119 }],
    ['Berlin, a minute later it is 03:00 CEST', '2026-03-29T01:00:00Z', 'Europe/Berlin', { date: '2026-03-29', weekday: 'sun', minutes: 180 }],
    ['Berlin, the first 02:30', '2026-10-25T00:30:00Z', 'Europe/Berlin', { date: '2026-10-25', weekday: 'sun', minutes: 150 }],
    ['Berlin, the second 02:30', '2026-10-25T01:30:00Z', 'Europe/Berlin', { date: '2026-10-25', weekday: 'sun', minutes: 150 }],
    ['Auckland is a day ahead', '2026-01-05T12:00:00Z', 'Pacific/Auckland', { date: '2026-01-06', weekday: 'tue', minutes: 60 }],
    ['Los Angeles is a day behind', '2026-01-05T05:00:00Z', 'America/Los_Angeles', { date: '2026-01-04', weekday: 'sun', minutes: 1260 }],
  ]
  for (const [name, at, zone, local] of locals) t.same(localTime(new Date(at), zone), local, name)

  t.same(['2026-03-28', '2026-12-31', '2028-02-28', '2026-03-01'].map((d) => addDays(d, 1)), ['2026-03-29', '2027-01-01', '2028-02-29', '2026-03-02'], 'addDays crosses months, years and leap days')
  t.equal(addDays('2026-01-05', -5), '2025-12-31', 'addDays goes back')
  t.same(['2026-01-05', '2026-01-10', '2026-03-29', '2026-11-01'].map(weekdayOf), ['mon', 'sat', 'sun', 'sun'], 'weekdayOf')
})

t.test('route: rules, fall-through and fallback', async (t) => {
  const [ann, bob, cat] = [rep('ann'), rep('bob'), rep('cat')]
  const dan = rep('dan', { status: 'away' })
  const eve = rep('eve', { workingHours: weekdays('13:00', '17:00') }) // opens 12:00Z
  const fay = rep('fay', { holidays: ['2026-01-05'] }) // opens 23:00Z
  const gus = rep('gus', { maxPending: 2, pending: 2 })
  const hal = rep('hal', { workingHours: weekdays('12:00', '17:00') }) // opens 11:00Z
  const ivy = rep('ivy', { deleted: true })
  const olga = rep('olga')
  const acme = { id: 'acme', name: 'Acme', ownerId: 'olga' }
  const everyone = { name: 'everyone', assign: toRep('bob') }
  const germany = { name: 'germany', when: country('DE'), assign: toRep('ann') }
  const byCountry: Ruleset = { rules: [germany, everyone], fallback: null }
  const owner: Ruleset = { rules: [{ name: 'owner', assign: toOwner }, everyone], fallback: toRep('cat') }
  const scored: Ruleset = {
    rules: [{ name: 'hot', when: { field: 'score', op: 'gte', value: 80 }, assign: toRep('ann') }, { name: 'demo', when: { field: 'tier', op: 'eq', value: 'demo' }, assign: toRep('bob') }],
    fallback: null,
  }
  const assigned = (rule: string, order: string[], reason: string, steps: string[], skipped = 0) => ({ outcome: 'assigned' as const, rule, order, reason, retryAt: null, steps, skipped })
  const unroutable = (reason: string, retryAt: string | null, steps: string[], skipped = 0) => ({ outcome: 'unroutable' as const, rule: null, order: [], reason, retryAt, steps, skipped })

  const cases: Array<[string, Ruleset, object, Candidates, ReturnType<typeof summary>]> = [
    ['the first matching rule wins', byCountry, { country: 'DE' }, candidates([ann, bob]),
      assigned('germany', ['ann'], 'rule "germany": assigned to Ann', ['germany: assigned'])],
    ['a rule that does not match is skipped', byCountry, { country: 'FR' }, candidates([ann, bob]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['everyone: assigned'], 1)],
    ['a team with nobody eligible falls through to the next rule', { rules: [{ name: 'sales', assign: toTeam('sales') }, everyone], fallback: null }, {}, candidates([bob, dan, gus], [team('sales', 'round_robin', ['dan', 'gus'])]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['sales: nobody_eligible', 'everyone: assigned'])],
    ['then to the fallback', { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: toRep('bob') }, {}, candidates([bob, dan], [team('sales', 'round_robin', ['dan'])]),
      assigned('fallback', ['bob'], 'fallback: assigned to Bob', ['sales: nobody_eligible', 'fallback: assigned'])],
    ['a fallback team alone', { rules: [], fallback: toTeam('sales') }, {}, candidates([ann, bob], [team('sales', 'round_robin', ['ann', 'bob'])]),
      assigned('fallback', ['ann', 'bob'], 'fallback: team "Sales" (round robin): 2 of 2 eligible', ['fallback: assigned'])],
    ['no rule matched and no fallback', { rules: [germany], fallback: null }, { country: 'FR' }, candidates([ann]),
      unroutable('no rule matched and the ruleset has no fallback', null, [], 1)],
    ['no rules and no fallback', { rules: [], fallback: null }, {}, candidates([ann]), unroutable('no rule matched and the ruleset has no fallback', null, [])],
    ['nobody eligible anywhere: retry at the earliest opening', { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: toRep('hal') }, {}, candidates([eve, fay, dan, hal], [team('sales', 'round_robin', ['eve', 'fay', 'dan'])]),
      unroutable('nobody eligible (rule "sales": nobody in team "Sales" is eligible (1 outside working hours, 1 on holiday, 1 away); fallback: Hal (outside working hours 12:00–17:00 Europe/Berlin))',
        '2026-01-05T11:00:00.000Z', ['sales: nobody_eligible', 'fallback: nobody_eligible'])],
    ['only away and full reps: no calendar retry', { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }, {}, candidates([dan, gus], [team('sales', 'round_robin', ['dan', 'gus'])]),
      unroutable('nobody eligible (rule "sales": nobody in team "Sales" is eligible (1 away, 1 at capacity))', null, ['sales: nobody_eligible'])],
    ['a rep who no longer exists falls through', { rules: [{ name: 'vip', assign: toRep('zed') }, everyone], fallback: null }, {}, candidates([bob]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: unknown_target', 'everyone: assigned'])],
    ['a deleted rep falls through', { rules: [{ name: 'vip', assign: toRep('ivy') }, everyone], fallback: null }, {}, candidates([bob, ivy]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: nobody_eligible', 'everyone: assigned'])],
    ['a team that no longer exists falls through', { rules: [{ name: 'sales', assign: toTeam('gone') }], fallback: toRep('bob') }, {}, candidates([bob]),
      assigned('fallback', ['bob'], 'fallback: assigned to Bob', ['sales: unknown_target', 'fallback: assigned'])],
    ['a team without members', { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }, {}, candidates([], [team('sales', 'round_robin', [])]),
      unroutable('nobody eligible (rule "sales": team "Sales" has no members)', null, ['sales: nobody_eligible'])],
    ['account_owner, no account: falls through', owner, {}, candidates([bob, olga]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: no_account', 'everyone: assigned'])],
    ['account_owner, an account without owner: falls through', owner, {}, candidates([bob, olga], [], { account: { ...acme, ownerId: null } }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: no_account', 'everyone: assigned'])],
    ['account_owner, the owner is eligible', owner, {}, candidates([bob, olga], [], { account: acme }),
      assigned('owner', ['olga'], 'rule "owner": account "Acme" is owned by Olga', ['owner: assigned'])],
    ['account_owner, an owner off hours stops the search', owner, {}, candidates([bob, cat, { ...eve, id: 'olga', name: 'Olga' }], [], { account: acme }),
      unroutable('rule "owner": account "Acme" is owned by Olga (outside working hours 13:00–17:00 Europe/Berlin)', '2026-01-05T12:00:00.000Z', ['owner: owner_unavailable'])],
    ['account_owner, an away owner stops with no retry time', owner, {}, candidates([bob, cat, { ...dan, id: 'olga', name: 'Olga' }], [], { account: acme }),
      unroutable('rule "owner": account "Acme" is owned by Olga (away)', null, ['owner: owner_unavailable'])],
    ['account_owner, an owner who no longer exists stops', owner, {}, candidates([bob, cat], [], { account: acme }),
      unroutable('rule "owner": account "Acme" is owned by a rep who no longer exists', null, ['owner: owner_unavailable'])],
    ['account_owner, an owner who already had the lead: the rules go on', owner, {}, candidates([bob, olga], [], { account: acme, excluded: new Set(['olga']) }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: nobody_eligible', 'everyone: assigned'])],
    ['a rep target who already had the lead falls through', { rules: [{ name: 'vip', assign: toRep('ann') }, everyone], fallback: null }, {}, candidates([ann, bob], [], { excluded: new Set(['ann']) }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: nobody_eligible', 'everyone: assigned'])],
    ['team members who already had the lead are passed over', { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }, {}, candidates([ann, bob, cat], [team('sales', 'round_robin', ['ann', 'bob', 'cat'])], { excluded: new Set(['ann']) }),
      assigned('sales', ['bob', 'cat'], 'rule "sales": team "Sales" (round robin): 2 of 3 eligible', ['sales: assigned'])],
    ['score routes a hot lead', scored, { score: 85, tier: 'high' }, candidates([ann, bob]), assigned('hot', ['ann'], 'rule "hot": assigned to Ann', ['hot: assigned'])],
    ['tier routes a demo request', scored, { score: 40, tier: 'demo' }, candidates([ann, bob]), assigned('demo', ['bob'], 'rule "demo": assigned to Bob', ['demo: assigned'], 1)],
    ['neither score nor tier matches', scored, { score: 40, tier: 'standard' }, candidates([ann, bob]), unroutable('no rule matched and the ruleset has no fallback', null, [], 2)],
  ]
  for (const [name, body, lead, cands, want] of cases) t.same(summary(route(compiled(body), lead, cands, MONDAY)), want, name)

  const excludedTrace = route(compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }), {}, candidates([ann, bob], [team('sales', 'round_robin', ['ann', 'bob'])], { excluded: new Set(['ann']) }), MONDAY)
  t.match(excludedTrace.trace.steps[0]?.candidates, [{ repId: 'ann', eligible: false, reason: 'already had this lead' }, { repId: 'bob', eligible: true }], 'the trace says who already had the lead')

  // An earlier rule keeps priority over the owner: when its team opens first, the lead should be tried again then.
  const waitingOwner = route(compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }, { name: 'owner', assign: toOwner }], fallback: null }), {}, candidates([eve, { ...dan, id: 'olga', name: 'Olga' }], [team('sales', 'round_robin', ['eve'])], { account: acme }), MONDAY)
  t.equal(waitingOwner.outcome, 'unroutable', 'an away owner stops the search')
  t.equal(waitingOwner.outcome === 'unroutable' ? waitingOwner.retryAt?.toISOString() : undefined, '2026-01-05T12:00:00.000Z', 'retry when the earlier rule\'s team opens')
})

t.test('route: team picks follow the strategy and the turn', async (t) => {
  const reps = [rep('ann', { pending: 2 }), rep('bob', { unworked: 1 }), rep('cat'), rep('dan', { status: 'away' })]
  const cases: Array<[string, TeamState, string[], { number: number | null; order: string[] }, string]> = [
    ['round robin, turn 2', team('sales', 'round_robin', ['ann', 'bob', 'cat'], 2), ['bob', 'cat', 'ann'], { number: 2, order: ['bob', 'cat', 'ann'] }, 'round robin'],
    ['round robin, turn 2 of the eligible ones', team('sales', 'round_robin', ['ann', 'dan', 'cat'], 2), ['cat', 'ann'], { number: 2, order: ['cat', 'ann'] }, 'round robin'],
    ['an unknown turn is taken as 1', team('sales', 'round_robin', ['ann', 'bob', 'cat'], null), ['ann', 'bob', 'cat'], { number: null, order: ['ann', 'bob', 'cat'] }, 'round robin'],
    ['weighted 2:1, turn 2', team('sales', 'weighted', [['ann', 2], ['bob', 1]], 2), ['bob', 'ann'], { number: 2, order: ['bob', 'ann'] }, 'weighted'],
    ['least loaded counts pending and unworked', team('sales', 'least_loaded', ['ann', 'bob', 'cat']), ['cat', 'bob', 'ann'], { number: 1, order: ['cat', 'bob', 'ann'] }, 'least loaded'],
  ]
  for (const [name, tm, order, turn, label] of cases) {
    const result = route(compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }), {}, candidates(reps, [tm]), MONDAY)
    if (result.outcome !== 'assigned') {
      t.fail(`${name}: ${result.reason}`)
      continue
    }
    t.same(result.order, order, `${name}: order`)
    t.same(result.trace.steps[0]?.turn, turn, `${name}: the turn on the assigned step`)
    t.match(result, { teamId: 'sales', rotation: { teamId: 'sales', strategy: tm.strategy }, reason: new RegExp(`\\(${label}\\)`) }, `${name}: rotation`)
  }
  const loaded = route(compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }), {}, candidates(reps, [team('sales', 'least_loaded', ['ann', 'bob', 'cat'])]), MONDAY)
  t.same(loaded.outcome === 'assigned' ? loaded.rotation?.eligible : null, members(['ann', 1, 2], ['bob', 1, 1], ['cat', 1, 0]), 'the rotation carries each eligible member\'s load')
})

t.test('route: compact and explained traces', async (t) => {
  const body: Ruleset = {
    rules: [
      { name: 'big germans', when: { all: [country('DE'), { field: 'employees', op: 'gte', value: 100 }] }, assign: toRep('ann') },
      { name: 'sales', assign: toTeam('sales') },
      { name: 'everyone', assign: toRep('bob') },
    ],
    fallback: null,
  }
  const cands = candidates([rep('bob'), rep('eve', { workingHours: weekdays('13:00', '17:00') })], [team('sales', 'round_robin', ['eve'])])
  const lead = { country: 'DE', employees: 10 }

  const compact = route(compiled(body), lead, cands, MONDAY)
  t.equal(compact.trace.skipped, 1, 'compact: a rule that did not match is counted')
  t.same(compact.trace.steps.map((s) => s.rule), ['sales', 'everyone'], 'compact: and left out of the steps')
  t.notOk(compact.trace.steps.some((s) => 'conditions' in s), 'compact: no condition leaves')
  t.notOk('opensAt' in compact.trace.steps[0]!.candidates![0]!, 'compact: no opening worked out for the trace')
  t.match(compact.trace, { version: 7, at: '2026-01-05T10:00:00.000Z' })

  const explained = route(compiled(body), lead, cands, MONDAY, { explain: true })
  t.equal(explained.trace.skipped, 0, 'explain: nothing skipped')
  t.same(explained.trace.steps[0], {
    index: 0, rule: 'big germans', matched: false, result: 'not_matched', detail: 'conditions did not match',
    conditions: [
      { pointer: '/all/0', field: 'country', op: 'eq', value: 'DE', actual: 'DE', matched: true },
      { pointer: '/all/1', field: 'employees', op: 'gte', value: 100, actual: 10, matched: false },
    ],
  }, 'explain: the rule that did not match, with every leaf')
  t.match(explained.trace.steps[1], { rule: 'sales', result: 'nobody_eligible', candidates: [{ repId: 'eve', eligible: false, opensAt: '2026-01-05T12:00:00.000Z' }] }, 'explain: when each ineligible rep opens')
  t.match(explained.trace.steps[2], { index: 2, rule: 'everyone', matched: true, result: 'assigned', detail: 'assigned to Bob', assign: toRep('bob') })
})

t.test('route: explaining does not change the decision', async (t) => {
  const body: Ruleset = { rules: [{ name: 'germany', when: country('DE'), assign: toRep('ann') }, { name: 'france', when: country('FR'), assign: toRep('dan') }], fallback: null }
  const cands = candidates([rep('ann'), rep('dan', { status: 'away' })])
  const cases: Array<[string, object]> = [
    ['assigned by the first rule', { country: 'DE' }],
    ['no rule matched', { country: 'US' }],
    ['a matching rule with nobody eligible', { country: 'FR' }],
  ]
  const decision = (r: RouteResult) => ({ ...summary(r), steps: undefined, skipped: undefined })
  for (const [name, lead] of cases) {
    const ruleset = compiled(body)
    t.same(decision(route(ruleset, lead, cands, MONDAY, { explain: true })), decision(route(ruleset, lead, cands, MONDAY)), name)
  }
})

t.test('route is pure: same inputs, same answer, nothing mutated', async (t) => {
  const reps = [rep('ann', { pending: 1 }), rep('bob'), rep('eve', { workingHours: weekdays('13:00', '17:00') }), rep('olga', { status: 'away' })]
  const teams = [team('sales', 'least_loaded', ['ann', 'bob', 'eve'], 4), team('night', 'weighted', [['eve', 2], ['olga', 1]], 9)]
  const body: Ruleset = {
    rules: [{ name: 'night', assign: toTeam('night') }, { name: 'owner', when: { field: 'tier', op: 'eq', value: 'high' }, assign: toOwner }, { name: 'sales', assign: toTeam('sales') }],
    fallback: toRep('bob'),
  }
  const ruleset = compiled(body)
  for (const explain of [false, true]) {
    const cands = candidates(reps, teams, { account: { id: 'acme', name: 'Acme', ownerId: 'olga' }, excluded: new Set(['bob']) })
    const before = structuredClone(cands)
    const first = route(ruleset, { tier: 'standard' }, cands, MONDAY, { explain })
    const second = route(ruleset, { tier: 'standard' }, cands, MONDAY, { explain })
    t.same(second, first, `explain ${explain}: the same answer twice`)
    t.same(summary(first).order, ['ann'], `explain ${explain}: the answer itself`)
    t.same(cands, before, `explain ${explain}: candidates untouched`)
  }
})

t.test('compileRuleset', async (t) => {
  const result = compileRuleset({
    rules: [
      { name: ' Germany ', when: country('DE'), assign: toTeam('dach'), acceptWithinSeconds: 600 },
      { name: 'vip', assign: toRep('ann') },
      { name: 'owner', assign: toOwner },
      { name: 'austria', when: country('AT'), assign: toTeam('dach') },
    ],
    fallback: toRep('bob'),
  }, 3)
  t.ok(result.ok, 'a valid ruleset compiles')
  if (result.ok) {
    t.same(result.ruleset.teamIds, ['dach'], 'teams named, once each')
    t.same(result.ruleset.repIds, ['ann', 'bob'], 'reps named, the fallback\'s too')
    t.same(result.ruleset.rules.map((r) => [r.index, r.name, r.acceptWithinSeconds, r.when !== undefined]), [[0, 'Germany', 600, true], [1, 'vip', null, false], [2, 'owner', null, false], [3, 'austria', null, true]])
    t.equal(result.ruleset.version, 3)
  }

  const rule = (name: string, when?: unknown) => ({ name, ...(when === undefined ? {} : { when }), assign: toRep('ann') })
  const cases: Array<[string, unknown[], Array<[string, RegExp | string]>]> = [
    ['duplicate names, any case', [rule('Enterprise'), rule('enterprise')], [['/rules/1/name', 'repeats the name of rule 0; rule names must be unique']]],
    ['duplicate names, blanks trimmed', [rule('DE'), rule('x'), rule(' de ')], [['/rules/2/name', 'repeats the name of rule 0; rule names must be unique']]],
    ['an unknown field', [rule('a', { field: 'bogus', op: 'eq', value: 1 })], [['/rules/0/when/field', /^"bogus" is not a known field \(known: .*score, tier/]]],
    ['an unknown field, nested', [rule('a'), rule('b', { all: [country('DE'), { field: 'bogus', op: 'eq', value: 1 }] })], [['/rules/1/when/all/1/field', /"bogus" is not a known field/]]],
    ['an operator that does not apply', [rule('a', { field: 'country', op: 'gt', value: 1 })], [['/rules/0/when/op', 'gt does not apply to country, a string field']]],
    ['a score compared with text', [rule('a', { not: { field: 'score', op: 'gte', value: 'high' } })], [['/rules/0/when/not/value', 'must be a number']]],
    ['a value missing', [rule('a', { field: 'tier', op: 'eq' })], [['/rules/0/when/value', 'is required']]],
    ['not a condition', [rule('a', [])], [['/rules/0/when', 'must be a condition: {all}, {any}, {not} or {field, op, value}']]],
    ['every problem at once', [rule('a', { any: [] }), rule('A', { field: 'nope', op: 'eq', value: 1 })],
      [['/rules/0/when/any', 'must be a list of 1 to 100 conditions'], ['/rules/1/name', /repeats the name of rule 0/], ['/rules/1/when/field', /"nope" is not a known field/]]],
  ]
  for (const [name, rules, errors] of cases) {
    const compiledRules = compileRuleset({ rules, fallback: null } as unknown as Ruleset, 1)
    t.match(compiledRules, { ok: false, errors: errors.map(([pointer, detail]) => ({ pointer, detail })) }, name)
    if (!compiledRules.ok) t.equal(compiledRules.errors.length, errors.length, `${name}: no other errors`)
  }

  t.notOk(compileCondition({ field: 'score', op: 'gte', value: 50 }).ok, 'score is no lead field for scoring itself')
  t.ok(compileRuleset({ rules: [rule('a', { all: [{ field: 'score', op: 'gte', value: 50 }, { field: 'tier', op: 'in', value: ['high', 'demo'] }] })], fallback: null } as unknown as Ruleset, 1).ok, 'routing rules may use score and tier')
})
