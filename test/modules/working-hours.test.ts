// The pure schedule checks behind a rep's timezone, workingHours and holidays.
import t from 'tap'
import type { WorkingHours } from '../../src/db/schema/reps.ts'
import { canonicalTimeZone, checkWorkingHours, isIanaTimeZone, isRealDate } from '../../src/modules/reps/working-hours.ts'

t.test('isIanaTimeZone', async (t) => {
  const cases: Array<[string, boolean, string]> = [
    ['UTC', true, 'UTC'],
    ['Europe/Berlin', true, 'a region/city zone'],
    ['europe/berlin', true, 'any case'],
    ['America/New_York', true, 'underscores'],
    ['America/Indiana/Indianapolis', true, 'three parts'],
    ['Etc/GMT+2', true, 'Etc/GMT offsets are IANA names'],
    ['+02:00', false, 'a UTC offset follows no daylight saving'],
    ['-05:00', false, 'a negative offset'],
    ['GMT+2', false, 'not an IANA name'],
    ['Z', false, 'ISO "Z"'],
    ['Mars/Olympus', false, 'an unknown zone'],
    ['', false, 'empty'],
    ['Europe/', false, 'a trailing slash'],
    ['/Europe/Berlin', false, 'a leading slash'],
    ['Europe/Berlin ', false, 'a trailing blank'],
    ['../etc/passwd', false, 'a path'],
    ['Europe//Berlin', false, 'an empty part'],
  ]
  for (const [zone, expected, name] of cases) t.equal(isIanaTimeZone(zone), expected, `${name}: ${JSON.stringify(zone)}`)
})

t.test('canonicalTimeZone fixes the spelling', async (t) => {
  const cases: Array<[string, string]> = [
    ['europe/berlin', 'Europe/Berlin'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    ['utc', 'UTC'],
    ['Asia/Tokyo', 'Asia/Tokyo'],
  ]
  for (const [zone, expected] of cases) t.equal(canonicalTimeZone(zone), expected, zone)
})

t.test('checkWorkingHours', async (t) => {
  const w = (start: string, end: string) => ({ start, end })
  const cases: Array<[string, WorkingHours, string[]]> = [
    ['no days: never working', {}, []],
    ['one window', { mon: [w('09:00', '17:00')] }, []],
    ['the whole day, ending at 24:00', { mon: [w('00:00', '24:00')] }, []],
    ['an evening ending at 24:00', { fri: [w('18:00', '24:00')] }, []],
    ['touching windows are fine', { tue: [w('09:00', '12:00'), w('12:00', '13:00')] }, []],
    ['touching, listed out of order', { tue: [w('12:00', '13:00'), w('09:00', '12:00')] }, []],
    ['a lunch break', { wed: [w('09:00', '12:00'), w('13:00', '17:30')] }, []],
    ['an empty day', { sat: [] }, []],
    ['every weekday', Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [w('08:00', '16:00')]])), []],
    ['ends before it starts', { tue: [w('18:00', '09:00')] }, ['/workingHours/tue/0']],
    ['an overnight shift', { fri: [w('22:00', '06:00')] }, ['/workingHours/fri/0']],
    ['zero length', { mon: [w('09:00', '09:00')] }, ['/workingHours/mon/0']],
    ['overlapping', { wed: [w('09:00', '12:00'), w('11:00', '14:00')] }, ['/workingHours/wed/1']],
    ['overlapping, listed out of order', { wed: [w('11:00', '14:00'), w('09:00', '12:00')] }, ['/workingHours/wed/0']],
    ['the same window twice', { thu: [w('09:00', '12:00'), w('09:00', '12:00')] }, ['/workingHours/thu/1']],
    ['a window inside another', { mon: [w('09:00', '17:00'), w('10:00', '11:00')] }, ['/workingHours/mon/1']],
    // The third window overlaps the first, though not the second: it must be pointed at too.
    [
      'two windows inside a long one',
      { mon: [w('09:00', '17:00'), w('10:00', '11:00'), w('12:00', '13:00')] },
      ['/workingHours/mon/1', '/workingHours/mon/2'],
    ],
    [
      'problems on several days',
      { mon: [w('10:00', '09:00')], sun: [w('09:00', '12:00'), w('11:59', '12:30')] },
      ['/workingHours/mon/0', '/workingHours/sun/1'],
    ],
  ]
  for (const [name, hours, pointers] of cases) {
    const errors = checkWorkingHours(hours)
    t.same(errors.map((e) => e.pointer).sort(), [...pointers].sort(), name)
    for (const error of errors) t.ok(error.detail.length > 0, `${name}: ${error.pointer} says why`)
  }
})

t.test('checkWorkingHours: the details say what is wrong', async (t) => {
  const [reversed] = checkWorkingHours({ tue: [{ start: '18:00', end: '09:00' }] })
  t.match(reversed, { pointer: '/workingHours/tue/0', detail: /09:00.*18:00/ })
  t.match(reversed?.detail, /overnight/, 'and how to fix an overnight shift')
  const [overlap] = checkWorkingHours({
    wed: [
      { start: '09:00', end: '12:00' },
      { start: '11:00', end: '14:00' },
    ],
  })
  t.match(overlap, { pointer: '/workingHours/wed/1', detail: /overlaps 09:00.12:00/ })
})

t.test('checkWorkingHours: pointers start at the base given', async (t) => {
  const errors = checkWorkingHours({ mon: [{ start: '10:00', end: '09:00' }] }, '/reps/2/workingHours')
  t.same(
    errors.map((e) => e.pointer),
    ['/reps/2/workingHours/mon/0'],
  )
})

t.test('isRealDate', async (t) => {
  const cases: Array<[string, boolean, string]> = [
    ['2026-12-25', true, 'an ordinary day'],
    ['2026-01-31', true, 'the 31st of a long month'],
    ['2026-12-31', true, 'the last day of the year'],
    ['2028-02-29', true, 'leap day in a leap year'],
    ['2000-02-29', true, 'leap day in a year divisible by 400'],
    ['2027-02-29', false, 'leap day in a common year'],
    ['1900-02-29', false, 'leap day in a century that is not a leap year'],
    ['2026-02-30', false, 'the 30th of February'],
    ['2026-04-31', false, 'the 31st of a 30-day month'],
    ['2026-13-01', false, 'month 13'],
    ['2026-00-10', false, 'month 0'],
    ['2026-01-00', false, 'day 0'],
    ['2026-01-32', false, 'day 32'],
    ['2026-1-5', false, 'unpadded'],
    ['2026-01-05T10:00', false, 'a date-time'],
    ['', false, 'empty'],
    ['not-a-date', false, 'not a date'],
  ]
  for (const [date, expected, name] of cases) t.equal(isRealDate(date), expected, `${name}: ${JSON.stringify(date)}`)
})
