// dueAt and the working clock (issue 19): every case asserts the instant to the second.
import t from 'tap'
import type { WorkingHours } from '../../src/db/schema/reps.ts'
import { dueAt, shiftEnd, workingSecondsBetween, type Schedule } from '../../src/modules/reps/working-time.ts'

const HOUR = 3600
const nineToFive = { start: '09:00', end: '17:00' }
const weekdays = (windows: Array<{ start: string; end: string }>): WorkingHours => ({
  mon: windows,
  tue: windows,
  wed: windows,
  thu: windows,
  fri: windows,
})
const everyDay = (windows: Array<{ start: string; end: string }>): WorkingHours => ({ ...weekdays(windows), sat: windows, sun: windows })
const berlin = (workingHours: WorkingHours | null, holidays: string[] = []): Schedule => ({
  timezone: 'Europe/Berlin',
  workingHours,
  holidays,
})
const working = (start: string, seconds: number, schedule: Schedule) => dueAt(new Date(start), seconds, 'working', schedule).toISOString()

t.test('a shift end: the rest of the window runs on at the next morning', async (t) => {
  // Tue 2026-06-16 16:55 CEST, a 60-minute window: 5 minutes today, 55 from 09:00 Wednesday.
  t.equal(working('2026-06-16T14:55:00Z', HOUR, berlin(weekdays([nineToFive]))), '2026-06-17T07:55:00.000Z')
  t.equal(
    dueAt(new Date('2026-06-16T14:55:00Z'), HOUR, 'wall', berlin(weekdays([nineToFive]))).toISOString(),
    '2026-06-16T15:55:00.000Z',
    'wall: 17:55',
  )
  t.equal(working('2026-06-16T14:55:00Z', 300, berlin(weekdays([nineToFive]))), '2026-06-16T15:00:00.000Z', 'exactly to the shift end')
})

t.test('overnight: a start outside working time counts from the next window', async (t) => {
  t.equal(working('2026-06-16T18:00:00Z', HOUR, berlin(weekdays([nineToFive]))), '2026-06-17T08:00:00.000Z', '20:00 → 10:00 next day')
  t.equal(
    working('2026-06-17T05:00:00Z', 90, berlin(weekdays([nineToFive]))),
    '2026-06-17T07:01:30.000Z',
    '07:00 → 09:01:30, to the second',
  )
})

t.test('a weekend is skipped', async (t) => {
  // Fri 2026-06-19 16:30 CEST: 30 minutes on Friday, 30 from 09:00 Monday 22 June.
  t.equal(working('2026-06-19T14:30:00Z', HOUR, berlin(weekdays([nineToFive]))), '2026-06-22T07:30:00.000Z')
})

t.test('a holiday is skipped', async (t) => {
  // Tue 16:00: an hour on Tuesday, none on Wednesday 17 June (a holiday), an hour on Thursday.
  t.equal(working('2026-06-16T14:00:00Z', 2 * HOUR, berlin(weekdays([nineToFive]), ['2026-06-17'])), '2026-06-18T08:00:00.000Z')
})

t.test('two windows a day: the lunch break does not count', async (t) => {
  const split = berlin(
    weekdays([
      { start: '13:00', end: '17:00' },
      { start: '09:00', end: '12:00' },
    ]),
  )
  t.equal(working('2026-06-16T09:30:00Z', HOUR, split), '2026-06-16T11:30:00.000Z', '11:30 → 13:30, windows in any order')
})

t.test('a window ending 24:00 runs on into one starting 00:00', async (t) => {
  const lateShift: Schedule = {
    timezone: 'UTC',
    workingHours: { mon: [{ start: '18:00', end: '24:00' }], tue: [{ start: '00:00', end: '02:00' }] },
    holidays: [],
  }
  t.equal(working('2026-06-15T23:30:00Z', HOUR, lateShift), '2026-06-16T00:30:00.000Z')
  t.equal(shiftEnd(new Date('2026-06-15T23:30:00Z'), lateShift)?.toISOString(), '2026-06-16T02:00:00.000Z', 'one shift across midnight')
})

t.test('spring forward, Europe/Berlin 2026-03-29', async (t) => {
  // Sat 16:00 CET: an hour on Saturday, then Sunday 09:00 is already summer time (07:00Z).
  t.equal(working('2026-03-28T15:00:00Z', 2 * HOUR, berlin(everyDay([nineToFive]))), '2026-03-29T08:00:00.000Z')
  // A night window across the change is an hour shorter: 01:00 CET to 05:00 CEST is 3 hours.
  const night = berlin({ sun: [{ start: '01:00', end: '05:00' }], mon: [nineToFive] })
  t.equal(working('2026-03-29T00:00:00Z', 3 * HOUR, night), '2026-03-29T03:00:00.000Z', 'the whole window, ending 05:00 CEST')
  t.equal(working('2026-03-29T00:00:00Z', 3 * HOUR + 60, night), '2026-03-30T07:01:00.000Z', 'a minute more: Monday 09:01 CEST')
  t.equal(workingSecondsBetween(new Date('2026-03-29T00:00:00Z'), new Date('2026-03-30T00:00:00Z'), night), 3 * HOUR)
})

t.test('fall back, Europe/Berlin 2026-10-25 and America/New_York 2026-11-01', async (t) => {
  // 00:00 CEST to 06:00 CET is 7 hours of work.
  const night = berlin({ sun: [{ start: '00:00', end: '06:00' }] })
  t.equal(working('2026-10-24T22:00:00Z', 7 * HOUR, night), '2026-10-25T05:00:00.000Z', '06:00 CET')
  t.equal(workingSecondsBetween(new Date('2026-10-24T22:00:00Z'), new Date('2026-10-26T00:00:00Z'), night), 7 * HOUR)
  // Sat 16:00 EDT: an hour on Saturday, then Sunday 09:00 is standard time (14:00Z).
  const newYork: Schedule = { timezone: 'America/New_York', workingHours: everyDay([nineToFive]), holidays: [] }
  t.equal(working('2026-10-31T20:00:00Z', 2 * HOUR, newYork), '2026-11-01T15:00:00.000Z')
})

t.test('a rep without working hours is always working: both clocks agree', async (t) => {
  const always = berlin(null)
  for (const seconds of [0, 59, HOUR, 7 * 24 * HOUR]) {
    t.equal(working('2026-06-20T03:17:42Z', seconds, always), new Date(Date.parse('2026-06-20T03:17:42Z') + seconds * 1000).toISOString())
  }
  t.equal(workingSecondsBetween(new Date('2026-06-20T00:00:00Z'), new Date('2026-06-20T01:00:00Z'), always), HOUR)
  t.equal(shiftEnd(new Date('2026-06-20T00:00:00Z'), always), undefined, 'no shift to end')
})

t.test('a calendar with no working time at all falls back to wall time', async (t) => {
  t.equal(working('2026-06-16T10:00:00Z', HOUR, berlin({})), '2026-06-16T11:00:00.000Z', 'no windows on any day')
})

t.test('working seconds left and the end of the shift', async (t) => {
  const schedule = berlin(weekdays([nineToFive]))
  t.equal(
    workingSecondsBetween(new Date('2026-06-16T14:55:00Z'), new Date('2026-06-17T07:55:00Z'), schedule),
    HOUR,
    'Tue 16:55 → Wed 09:55',
  )
  t.equal(workingSecondsBetween(new Date('2026-06-17T07:55:00Z'), new Date('2026-06-16T14:55:00Z'), schedule), 0, 'backwards: none')
  t.equal(shiftEnd(new Date('2026-06-16T14:55:00Z'), schedule)?.toISOString(), '2026-06-16T15:00:00.000Z', '17:00 CEST')
  t.equal(shiftEnd(new Date('2026-06-16T18:00:00Z'), schedule), undefined, 'off shift: no shift to end')
  const split = berlin(
    weekdays([
      { start: '09:00', end: '12:00' },
      { start: '12:00', end: '17:00' },
    ]),
  )
  t.equal(shiftEnd(new Date('2026-06-16T08:00:00Z'), split)?.toISOString(), '2026-06-16T15:00:00.000Z', 'touching windows are one shift')
})
