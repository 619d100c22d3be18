// Who may take a lead, by tables: every eligibility reason, in the rep's own time zone
// across daylight saving changes and local dates, and the local time helpers under it. No database, no clock.
import t from 'tap'
import type { WorkingHours } from '../../src/db/schema/reps.ts'
import { eligibility, type RepState } from '../../src/modules/routing/eligibility.ts'
import { addDays, localTime, weekdayOf, zonedInstant } from '../../src/modules/routing/local-time.ts'
import { rep, weekdays } from '../helpers/routing-engine.ts'

const NINE_TO_FIVE = weekdays('09:00', '17:00')

/** An eligibility verdict with opensAt as an ISO string, `opensAt` left out when not given. */
function verdict(r: RepState, at: string) {
  const e = eligibility(r, new Date(at))
  return {
    eligible: e.eligible,
    ...(e.reason === undefined ? {} : { reason: e.reason }),
    ...('opensAt' in e ? { opensAt: e.opensAt?.toISOString() ?? null } : {}),
  }
}
const expected = (reason: string | null, opensAt: string | null = null) =>
  reason === null ? { eligible: true } : { eligible: false, reason, opensAt }

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
    [
      'a lunch break, windows listed out of order',
      {
        workingHours: {
          mon: [
            { start: '13:00', end: '17:00' },
            { start: '09:00', end: '12:00' },
          ],
        },
      },
      '2026-01-05T11:30:00Z',
      'outside working hours 09:00–12:00, 13:00–17:00 Europe/Berlin',
      '2026-01-05T12:00:00.000Z',
    ],
    [
      'a Saturday without hours',
      { workingHours: NINE_TO_FIVE },
      '2026-01-10T10:00:00Z',
      'not working on Saturdays (Europe/Berlin)',
      '2026-01-12T08:00:00.000Z',
    ],
    [
      'a day with an empty list',
      { workingHours: { mon: [], tue: [{ start: '09:00', end: '17:00' }] } },
      '2026-01-05T10:00:00Z',
      'not working on Mondays (Europe/Berlin)',
      '2026-01-06T08:00:00.000Z',
    ],
    [
      'a window ending at 24:00, a minute before midnight',
      { workingHours: { mon: [{ start: '18:00', end: '24:00' }] } },
      '2026-01-05T22:59:00Z',
      null,
      null,
    ],
    [
      '24:00 ends the day: midnight is the next day',
      { workingHours: { mon: [{ start: '18:00', end: '24:00' }] } },
      '2026-01-05T23:00:00Z',
      'not working on Tuesdays (Europe/Berlin)',
      '2026-01-12T17:00:00.000Z',
    ],
    [
      'never working: no opening within the horizon',
      { workingHours: {} },
      '2026-01-05T10:00:00Z',
      'not working on Mondays (Europe/Berlin)',
      null,
    ],
    ['deleted', { deleted: true }, '2026-01-05T10:00:00Z', 'no longer a rep', null],
    ['deleted comes before away', { deleted: true, status: 'away' }, '2026-01-05T10:00:00Z', 'no longer a rep', null],
    ['away', { status: 'away' }, '2026-01-05T10:00:00Z', 'away', null],
    [
      'away outside working hours: away, with no opening',
      { status: 'away', workingHours: NINE_TO_FIVE },
      '2026-01-05T06:00:00Z',
      'away',
      null,
    ],
    ['at capacity', { maxPending: 3, pending: 3 }, '2026-01-05T10:00:00Z', 'at capacity 3/3', null],
    ['over capacity', { maxPending: 3, pending: 4 }, '2026-01-05T10:00:00Z', 'at capacity 4/3', null],
    ['under capacity', { maxPending: 3, pending: 2 }, '2026-01-05T10:00:00Z', null, null],
    ['accepted leads are not pending ones', { maxPending: 3, pending: 0, unworked: 5 }, '2026-01-05T10:00:00Z', null, null],
    [
      'capacity comes before a holiday',
      { maxPending: 1, pending: 1, holidays: ['2026-01-05'] },
      '2026-01-05T10:00:00Z',
      'at capacity 1/1',
      null,
    ],
    [
      "daily limit reached: opens at tomorrow's window",
      { ...today, workingHours: NINE_TO_FIVE },
      '2026-01-05T10:00:00Z',
      'daily limit reached 20/20',
      '2026-01-06T08:00:00.000Z',
    ],
    [
      'daily limit reached, always working: opens at local midnight',
      today,
      '2026-01-05T10:00:00Z',
      'daily limit reached 20/20',
      '2026-01-05T23:00:00.000Z',
    ],
    [
      "daily limit used up before today's window: not today",
      { ...today, workingHours: NINE_TO_FIVE },
      '2026-01-05T07:00:00Z',
      off,
      '2026-01-06T08:00:00.000Z',
    ],
    ['under the daily limit', { ...today, dayCount: 19 }, '2026-01-05T10:00:00Z', null, null],
    ['a count for an earlier day does not count', { ...today, day: '2026-01-04' }, '2026-01-05T10:00:00Z', null, null],
    [
      'on holiday',
      { holidays: ['2026-01-05'], workingHours: NINE_TO_FIVE },
      '2026-01-05T10:00:00Z',
      'on holiday (2026-01-05)',
      '2026-01-06T08:00:00.000Z',
    ],
    [
      'holidays in a row are skipped',
      { holidays: ['2026-01-05', '2026-01-06'], workingHours: NINE_TO_FIVE },
      '2026-01-05T10:00:00Z',
      'on holiday (2026-01-05)',
      '2026-01-07T08:00:00.000Z',
    ],
    [
      'a holiday, the weekend, a holiday',
      { holidays: ['2026-01-09', '2026-01-12'], workingHours: NINE_TO_FIVE },
      '2026-01-09T10:00:00Z',
      'on holiday (2026-01-09)',
      '2026-01-13T08:00:00.000Z',
    ],
    ['a holiday tomorrow is no holiday today', { holidays: ['2026-01-06'] }, '2026-01-05T10:00:00Z', null, null],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)
})

t.test("eligibility in the rep's own zone, across daylight saving changes", async (t) => {
  const berlin = 'outside working hours 09:00–17:00 Europe/Berlin'
  const newYork = 'outside working hours 09:00–17:00 America/New_York'
  const sundays = (start: string, end: string): WorkingHours => ({ sun: [{ start, end }] })
  const ny = { timezone: 'America/New_York' }
  const cases: Array<[string, Partial<RepState>, string, string | null, string | null]> = [
    ['Berlin winter: 09:00 CET is 08:00Z', { workingHours: NINE_TO_FIVE }, '2026-01-05T08:00:00Z', null, null],
    ['Berlin winter: 07:00Z is 08:00 CET', { workingHours: NINE_TO_FIVE }, '2026-01-05T07:00:00Z', berlin, '2026-01-05T08:00:00.000Z'],
    ['Berlin summer: 09:00 CEST is 07:00Z', { workingHours: NINE_TO_FIVE }, '2026-06-01T07:00:00Z', null, null],
    ['Berlin summer: 15:00Z is 17:00 CEST', { workingHours: NINE_TO_FIVE }, '2026-06-01T15:00:00Z', berlin, '2026-06-02T07:00:00.000Z'],
    [
      'Friday before spring forward opens Monday at 09:00 CEST',
      { workingHours: NINE_TO_FIVE },
      '2026-03-27T17:00:00Z',
      berlin,
      '2026-03-30T07:00:00.000Z',
    ],
    [
      'Friday before fall back opens Monday at 09:00 CET',
      { workingHours: NINE_TO_FIVE },
      '2026-10-23T16:00:00Z',
      berlin,
      '2026-10-26T08:00:00.000Z',
    ],
    [
      'a Sunday shift on the spring-forward day',
      { workingHours: sundays('09:00', '17:00') },
      '2026-03-28T12:00:00Z',
      'not working on Saturdays (Europe/Berlin)',
      '2026-03-29T07:00:00.000Z',
    ],
    [
      'a Sunday shift on the fall-back day',
      { workingHours: sundays('09:00', '17:00') },
      '2026-10-24T12:00:00Z',
      'not working on Saturdays (Europe/Berlin)',
      '2026-10-25T08:00:00.000Z',
    ],
    [
      'a window starting in the skipped hour opens at 03:30 CEST',
      { workingHours: sundays('02:30', '04:00') },
      '2026-03-28T12:00:00Z',
      'not working on Saturdays (Europe/Berlin)',
      '2026-03-29T01:30:00.000Z',
    ],
    [
      '01:59 CET, just before the gap',
      { workingHours: sundays('02:30', '04:00') },
      '2026-03-29T00:59:00Z',
      'outside working hours 02:30–04:00 Europe/Berlin',
      '2026-03-29T01:30:00.000Z',
    ],
    ['03:30 CEST is inside 02:30–04:00', { workingHours: sundays('02:30', '04:00') }, '2026-03-29T01:30:00Z', null, null],
    ['New York winter: 09:00 EST is 14:00Z', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-06T14:00:00Z', null, null],
    [
      'New York winter: 13:59Z is 08:59 EST',
      { ...ny, workingHours: NINE_TO_FIVE },
      '2026-03-06T13:59:00Z',
      newYork,
      '2026-03-06T14:00:00.000Z',
    ],
    [
      'New York: Friday before spring forward opens Monday at 09:00 EDT',
      { ...ny, workingHours: NINE_TO_FIVE },
      '2026-03-06T23:00:00Z',
      newYork,
      '2026-03-09T13:00:00.000Z',
    ],
    ['New York summer: 09:00 EDT is 13:00Z', { ...ny, workingHours: NINE_TO_FIVE }, '2026-03-09T13:00:00Z', null, null],
    [
      'New York: Friday before fall back opens Monday at 09:00 EST',
      { ...ny, workingHours: NINE_TO_FIVE },
      '2026-10-30T22:00:00Z',
      newYork,
      '2026-11-02T14:00:00.000Z',
    ],
    [
      'New York: Sunday shift on the spring-forward day',
      { ...ny, workingHours: sundays('09:00', '17:00') },
      '2026-03-07T18:00:00Z',
      'not working on Saturdays (America/New_York)',
      '2026-03-08T13:00:00.000Z',
    ],
    [
      'New York: Sunday shift on the fall-back day',
      { ...ny, workingHours: sundays('09:00', '17:00') },
      '2026-10-31T18:00:00Z',
      'not working on Saturdays (America/New_York)',
      '2026-11-01T14:00:00.000Z',
    ],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)

  // 01:30Z on 2026-10-25 is the second 02:30 in Berlin (CET); clocks show 02:40 again at 01:40Z.
  const repeated = rep('ann', { workingHours: sundays('02:40', '03:00') })
  t.same(verdict(repeated, '2026-10-25T01:40:00Z'), { eligible: true }, 'the second 02:40 is inside 02:40–03:00')
  t.equal(verdict(repeated, '2026-10-25T01:30:00Z').opensAt, '2026-10-25T01:40:00.000Z', 'in the repeated hour, opens at the second 02:40')
})

t.test("a rep's local date, not UTC's, decides holidays and the daily limit", async (t) => {
  // 2026-01-05T12:00Z is Tuesday 01:00 on 2026-01-06 in Auckland (NZDT, +13).
  const auckland = { timezone: 'Pacific/Auckland' }
  // 2026-01-05T05:00Z is Sunday 21:00 on 2026-01-04 in Los Angeles (PST, −8).
  const la = { timezone: 'America/Los_Angeles' }
  const cases: Array<[string, Partial<RepState>, string, string | null, string | null]> = [
    [
      'Auckland: a holiday on the local date',
      { ...auckland, holidays: ['2026-01-06'] },
      '2026-01-05T12:00:00Z',
      'on holiday (2026-01-06)',
      '2026-01-06T11:00:00.000Z',
    ],
    ["Auckland: UTC's date is yesterday there", { ...auckland, holidays: ['2026-01-05'] }, '2026-01-05T12:00:00Z', null, null],
    [
      "Auckland: today's count is the local day's",
      { ...auckland, maxPerDay: 5, day: '2026-01-06', dayCount: 5 },
      '2026-01-05T12:00:00Z',
      'daily limit reached 5/5',
      '2026-01-06T11:00:00.000Z',
    ],
    [
      "Auckland: a count for UTC's date is yesterday's",
      { ...auckland, maxPerDay: 5, day: '2026-01-05', dayCount: 5 },
      '2026-01-05T12:00:00Z',
      null,
      null,
    ],
    [
      'Los Angeles: a holiday on the local date',
      { ...la, holidays: ['2026-01-04'] },
      '2026-01-05T05:00:00Z',
      'on holiday (2026-01-04)',
      '2026-01-05T08:00:00.000Z',
    ],
    ["Los Angeles: UTC's date is tomorrow there", { ...la, holidays: ['2026-01-05'] }, '2026-01-05T05:00:00Z', null, null],
    [
      'Los Angeles: the limit of the local day',
      { ...la, maxPerDay: 3, day: '2026-01-04', dayCount: 3 },
      '2026-01-05T05:00:00Z',
      'daily limit reached 3/3',
      '2026-01-05T08:00:00.000Z',
    ],
    [
      "Los Angeles: a count for UTC's date is not today's",
      { ...la, maxPerDay: 3, day: '2026-01-05', dayCount: 3 },
      '2026-01-05T05:00:00Z',
      null,
      null,
    ],
    [
      'Los Angeles: still Sunday there',
      { ...la, workingHours: NINE_TO_FIVE },
      '2026-01-05T05:00:00Z',
      'not working on Sundays (America/Los_Angeles)',
      '2026-01-05T17:00:00.000Z',
    ],
  ]
  for (const [name, overrides, at, reason, opensAt] of cases) t.same(verdict(rep('ann', overrides), at), expected(reason, opensAt), name)
})

t.test('local time helpers across daylight saving changes', async (t) => {
  const instants: Array<[string, string, number, string, string]> = [
    [
      'Berlin, a wall time in the spring gap reads as the old offset (03:30 CEST)',
      '2026-03-29',
      150,
      'Europe/Berlin',
      '2026-03-29T01:30:00.000Z',
    ],
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
    [
      'Berlin, a minute later it is 03:00 CEST',
      '2026-03-29T01:00:00Z',
      'Europe/Berlin',
      { date: '2026-03-29', weekday: 'sun', minutes: 180 },
    ],
    ['Berlin, the first 02:30', '2026-10-25T00:30:00Z', 'Europe/Berlin', { date: '2026-10-25', weekday: 'sun', minutes: 150 }],
    ['Berlin, the second 02:30', '2026-10-25T01:30:00Z', 'Europe/Berlin', { date: '2026-10-25', weekday: 'sun', minutes: 150 }],
    ['Auckland is a day ahead', '2026-01-05T12:00:00Z', 'Pacific/Auckland', { date: '2026-01-06', weekday: 'tue', minutes: 60 }],
    ['Los Angeles is a day behind', '2026-01-05T05:00:00Z', 'America/Los_Angeles', { date: '2026-01-04', weekday: 'sun', minutes: 1260 }],
  ]
  for (const [name, at, zone, local] of locals) t.same(localTime(new Date(at), zone), local, name)

  t.same(
    ['2026-03-28', '2026-12-31', '2028-02-28', '2026-03-01'].map((d) => addDays(d, 1)),
    ['2026-03-29', '2027-01-01', '2028-02-29', '2026-03-02'],
    'addDays crosses months, years and leap days',
  )
  t.equal(addDays('2026-01-05', -5), '2025-12-31', 'addDays goes back')
  t.same(['2026-01-05', '2026-01-10', '2026-03-29', '2026-11-01'].map(weekdayOf), ['mon', 'sat', 'sun', 'sun'], 'weekdayOf')
})
