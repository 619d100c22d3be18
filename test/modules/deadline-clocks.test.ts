// Deadlines on the rep's working clock (issue 19): the 16:55 lead of the issue, to the second.
import t from 'tap'
import { handoffHarness } from '../helpers/handoffs.ts'

const HOUR = 3600
const shift = { start: '09:00', end: '17:00' }
const weekdays = { mon: [shift], tue: [shift], wed: [shift], thu: [shift], fri: [shift] }
// Tuesday 16 June 2026, 16:55 in Berlin (summer time, UTC+2).
const TUESDAY_1655 = '2026-06-16T14:55:00Z'

async function berlinFloor(t: Parameters<typeof handoffHarness>[0], size = 1) {
  const h = await handoffHarness(t, { start: TUESDAY_1655 })
  const repIds: string[] = []
  for (let i = 0; i < size; i++) repIds.push(await h.newRep({ timezone: 'Europe/Berlin', workingHours: weekdays }))
  const teamId = await h.newTeam(repIds)
  return { h, repIds, teamId }
}

t.test('a demo lead at 16:55 with an hour to accept: 5 minutes tonight, 55 tomorrow from 09:00', async (t) => {
  const { h, teamId } = await berlinFloor(t)
  await h.routeTo(teamId, HOUR)
  const answer = await h.postLead()
  t.match(answer.handoff, { clock: 'working', acceptWithinSeconds: HOUR, deadlineAt: '2026-06-17T07:55:00.000Z' })
  t.match(answer.routing, { clock: 'working', acceptWithinSeconds: HOUR, deadlineAt: '2026-06-17T07:55:00.000Z' })

  const shown = await h.ok('GET', `/v1/handoffs/${answer.handoff.id}`, undefined, 200)
  t.equal(shown.workingSecondsLeft, HOUR, 'all of it is still to come')
  h.baton.clock.advance(3 * 60_000)
  t.equal(
    (await h.ok('GET', `/v1/handoffs/${answer.handoff.id}`, undefined, 200)).workingSecondsLeft,
    HOUR - 180,
    '16:58: three minutes gone',
  )
  h.baton.clock.advance(4 * HOUR * 1000)
  t.equal(
    (await h.ok('GET', `/v1/handoffs/${answer.handoff.id}`, undefined, 200)).workingSecondsLeft,
    HOUR - 300,
    'the evening does not count',
  )

  const [event] = (await h.events(answer.lead.id)).filter((e) => e.type === 'lead.assigned')
  t.match(event!.data.handoff, { clock: 'working', acceptWithinSeconds: HOUR }, 'events carry the clock too')
})

const late = { start: '09:00', end: '20:00' }
const lateWeekdays = { mon: [late], tue: [late], wed: [late], thu: [late], fri: [late] }

t.test('the end-of-shift guard on the wall clock: a rep who goes home first is not offered the lead', async (t) => {
  const { h, repIds, teamId } = await berlinFloor(t)
  const wallRule = { rules: [{ name: 'now', assign: { type: 'team', teamId }, acceptWithinSeconds: HOUR, clock: 'wall' }], fallback: null }
  await h.ok('PUT', '/v1/routing', wallRule, 200)
  const alone = await h.postLead()
  t.equal(alone.handoff, null, 'nobody else: the lead waits')
  t.match(
    alone.routing,
    { outcome: 'unroutable', retryAt: '2026-06-17T07:00:00.000Z' },
    'tried again when the shift opens, 09:00 Wednesday',
  )
  t.match(alone.routing.reason, /nobody in team .* is eligible \(1 shift ends\)/, 'the reason, grouped as ever')

  const lateRep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: lateWeekdays })
  const team2 = await h.newTeam([repIds[0]!, lateRep])
  await h.ok('PUT', '/v1/routing', { ...wallRule, rules: [{ ...wallRule.rules[0]!, assign: { type: 'team', teamId: team2 } }] }, 200)
  const placed = await h.postLead()
  t.match(placed.handoff, { repId: lateRep, clock: 'wall', deadlineAt: '2026-06-16T15:55:00.000Z' }, 'the rep on until 20:00 gets it')
  const { trace } = await h.ok('GET', `/v1/handoffs/${placed.handoff.id}`, undefined, 200)
  const early = trace.steps.at(-1).candidates.find((c: { repId: string }) => c.repId === repIds[0])
  t.match(early, { eligible: false, reason: 'shift ends 17:00 Europe/Berlin, before the deadline 17:55' }, 'the trace says why not')
})

t.test('the guard on the working clock: reps who can answer today first, a carried-over deadline only when nobody can', async (t) => {
  const { h, repIds, teamId } = await berlinFloor(t)
  const lateRep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: lateWeekdays })
  const both = await h.newTeam([repIds[0]!, lateRep])
  await h.routeTo(both, HOUR)
  for (let i = 0; i < 2; i++) {
    const { handoff } = await h.postLead()
    t.match(
      handoff,
      { repId: lateRep, clock: 'working', deadlineAt: '2026-06-16T15:55:00.000Z' },
      `lead ${i + 1}: the rep on until 20:00, whatever the turn`,
    )
    const { trace } = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)
    const early = trace.steps.at(-1).candidates.find((c: { repId: string }) => c.repId === repIds[0])
    t.match(early, { eligible: false, reason: /carries over to the next shift \(this one ends 17:00\); others can answer today/ })
  }

  await h.routeTo(teamId, HOUR)
  const { handoff } = await h.postLead()
  t.match(handoff, { repId: repIds[0], deadlineAt: '2026-06-17T07:55:00.000Z' }, 'nobody can answer today: the deadline carries over')
  const { trace } = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)
  t.match(trace.steps.at(-1).detail, /carries over to the rep's next shift/)
})

t.test('a model whose tiers choose their clocks', async (t) => {
  const { h, repIds } = await berlinFloor(t)
  const lateRep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: lateWeekdays })
  await h.routeTo(await h.newTeam([repIds[0]!, lateRep]), HOUR)
  const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
  await h.ok('PUT', '/v1/scoring', { ...model, clocks: { high: 'wall', demo: 'wall', standard: 'working' } }, 200)
  const answer = await h.postLead()
  t.match(answer.lead.decision, { tier: 'demo', clock: 'wall' }, "the decision records the tier's clock")
  t.match(answer.handoff, { repId: lateRep, clock: 'wall', deadlineAt: '2026-06-16T15:55:00.000Z' })
})

t.test('the next rep after an expiry gets as long on the same clock', async (t) => {
  const { h, teamId } = await berlinFloor(t, 2)
  await h.routeTo(teamId, HOUR)
  const first = (await h.postLead()).handoff
  t.equal(await h.expire(first), 'expired') // one second after Wednesday 09:55
  const next = await h.pendingOf(first.leadId)
  t.match(next, { clock: 'working', acceptWithinSeconds: HOUR, deadlineAt: '2026-06-17T08:55:01.000Z' })
})

t.test("first contact falls due in the owner's working time", async (t) => {
  const { h, teamId } = await berlinFloor(t)
  await h.routeTo(teamId, HOUR)
  const { handoff } = await h.postLead()
  h.baton.clock.advance(60_000) // accepted at 16:56
  await h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200)
  const [task] = await h.sql<{ due_at: Date }>('select due_at from tasks where handoff_id = $1', [handoff.id])
  // The demo tier's 30 minutes: 4 tonight, 26 from 09:00 Wednesday.
  t.equal(task!.due_at.toISOString(), '2026-06-17T07:26:00.000Z')
})

t.test('editing working hours while an offer waits leaves its deadline where it was', async (t) => {
  const { h, repIds, teamId } = await berlinFloor(t)
  await h.routeTo(teamId, HOUR)
  const { handoff } = await h.postLead()
  await h.ok('PATCH', `/v1/reps/${repIds[0]}`, { workingHours: { ...weekdays, tue: [{ start: '09:00', end: '19:00' }] } }, 200)
  t.equal((await h.pendingOf(handoff.leadId)).deadlineAt, '2026-06-17T07:55:00.000Z', 'the promise made stands')
  t.equal(
    (await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).workingSecondsLeft,
    HOUR + 2 * HOUR,
    'but more of it is working time now',
  )
})

t.test('bad clocks are 422 with their pointer', async (t) => {
  const { h, teamId } = await berlinFloor(t)
  const rule = await h.call('PUT', '/v1/routing', {
    rules: [{ name: 'x', assign: { type: 'team', teamId }, clock: 'sundial' }],
    fallback: null,
  })
  t.equal(rule.statusCode, 422)
  t.ok(
    rule.json().errors.some((e: { pointer: string }) => e.pointer.startsWith('/rules/0/clock')),
    "points at the rule's clock",
  )
  const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
  const bad = await h.call('PUT', '/v1/scoring', { ...model, clocks: { high: 'wall', demo: 'lunar', standard: 'working' } })
  t.equal(bad.statusCode, 422)
  t.ok(
    bad.json().errors.some((e: { pointer: string }) => e.pointer.startsWith('/clocks/demo')),
    "points at the tier's clock",
  )
})

t.test("an expiry outside the rep's working time does not count toward auto-away", async (t) => {
  // Tuesday 16:00 Berlin; AUTO_AWAY_AFTER=1, so any counted expiry sets the rep away.
  const h = await handoffHarness(t, { start: '2026-06-16T14:00:00Z', env: { AUTO_AWAY_AFTER: '1' } })
  const first = await h.newRep({ timezone: 'Europe/Berlin', workingHours: weekdays })
  const second = await h.newRep({ timezone: 'Europe/Berlin', workingHours: weekdays })
  const teamId = await h.newTeam([first, second])
  await h.ok(
    'PUT',
    '/v1/routing',
    { rules: [{ name: 'wall', assign: { type: 'team', teamId }, acceptWithinSeconds: 1200, clock: 'wall' }], fallback: null },
    200,
  )
  const offered = (await h.postLead()).handoff
  const other = offered.repId === first ? second : first
  // The rep's hours are cut to 16:15 while the offer (due 16:20) waits: it expires after their day ended.
  await h.ok('PATCH', `/v1/reps/${offered.repId}`, { workingHours: { ...weekdays, tue: [{ start: '09:00', end: '16:15' }] } }, 200)
  t.equal(await h.expire(offered), 'expired')
  t.equal(await h.repStatus(offered.repId), 'available', 'not counted: still available')
  t.equal((await h.load(offered.repId)).expired_in_row, 0, 'the run of expiries did not grow')

  const next = await h.pendingOf(offered.leadId)
  t.match(next, { repId: other, deadlineAt: '2026-06-16T14:40:01.000Z' })
  t.equal(await h.expire(next), 'expired')
  t.equal(await h.repStatus(other), 'away', 'an expiry in working time still counts')
})
