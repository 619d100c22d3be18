// Metrics in both clocks (issue 19): a weekend between a lead and its answer counts in wall
// seconds, not in the rep's working time; breaches are told apart by the clock they ran on.
import t from 'tap'
import { handoffHarness } from '../helpers/handoffs.ts'

const shift = [{ start: '09:00', end: '17:00' }]
const WEEK = { mon: shift, tue: shift, wed: shift, thu: shift, fri: shift }

t.test('time to accept and to first contact in working seconds beside wall seconds', async (t) => {
  // Friday 16:50 in Berlin (CEST, UTC+2).
  const h = await handoffHarness(t, { start: '2026-06-19T14:50:00Z' })
  const rep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: WEEK })
  await h.routeTo(await h.newTeam([rep]))
  const to = (iso: string) => h.baton.clock.advance(Date.parse(iso) - h.baton.clock.now().getTime())

  // A demo lead (working clock, 1800 s): due Monday 09:20, after 10 minutes on Friday and 20 on Monday.
  const demo = await h.postLead()
  t.equal(demo.handoff.deadlineAt, '2026-06-22T07:20:00.000Z')
  // A high-tier lead (wall clock, 300 s) at the same minute: 16:55 is before the shift ends, so it is
  // offered; nobody answers, and it expires at 16:55 with nobody left to take it.
  const high = await h.ok(
    'POST',
    '/v1/leads',
    { email: 'cto@bigcorp.example', employees: 600, signals: { demoRequested: true } },
    201,
    'integration',
  )
  t.match(high, { lead: { tier: 'high' }, handoff: { clock: 'wall', deadlineAt: '2026-06-19T14:55:00.000Z' } })
  t.equal(await h.expire(high.handoff), 'expired')

  to('2026-06-22T07:10:00Z') // Monday 09:10
  await h.ok('POST', `/v1/handoffs/${demo.handoff.id}/accept`, undefined, 200, 'rep', rep)
  to('2026-06-22T07:40:00Z') // Monday 09:40
  await h.ok('POST', `/v1/leads/${demo.lead.id}/activities`, { type: 'call' }, 201, 'rep', rep)

  const query = new URLSearchParams({ from: '2026-06-19T00:00:00Z', to: '2026-06-23T00:00:00Z' }).toString()
  const { total } = await h.ok('GET', `/v1/metrics/handoffs?${query}`, undefined, 200)
  const one = (seconds: number) => ({ count: 1, p50: seconds, p90: seconds, p99: seconds })
  // Friday 14:50Z to Monday 07:10Z: 2 days, 16 h 20 min.
  t.same(total.timeToAcceptSeconds, one(2 * 86400 + 16 * 3600 + 20 * 60), 'wall: the whole weekend')
  t.same(total.timeToAcceptWorkingSeconds, one(20 * 60), 'working: 16:50–17:00 Friday and 09:00–09:10 Monday')
  t.same(total.timeToFirstContactSeconds, one(2 * 86400 + 16 * 3600 + 50 * 60))
  t.same(total.timeToFirstContactWorkingSeconds, one(50 * 60), '10 minutes Friday, 40 Monday')
  t.match(total.handoffs, { offered: 2, accepted: 1, expired: 1, slaBreachRate: 0.5, slaBreachRateByClock: { wall: 1, working: 0 } })

  const perRep = await h.ok('GET', `/v1/reps/${rep}/stats?${query}`, undefined, 200)
  t.same(perRep.timeToAcceptWorkingSeconds, one(20 * 60), "the rep's own stats carry the same figures")
})
