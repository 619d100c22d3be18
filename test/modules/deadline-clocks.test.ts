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

t.test('a rule on the wall clock, and a model whose tiers choose their clocks', async (t) => {
  const { h, teamId } = await berlinFloor(t)
  await h.ok(
    'PUT',
    '/v1/routing',
    { rules: [{ name: 'now', assign: { type: 'team', teamId }, acceptWithinSeconds: HOUR, clock: 'wall' }], fallback: null },
    200,
  )
  t.match((await h.postLead()).handoff, { clock: 'wall', deadlineAt: '2026-06-16T15:55:00.000Z' }, 'wall: 17:55, the rep gone home')

  await h.routeTo(teamId, HOUR)
  const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
  await h.ok('PUT', '/v1/scoring', { ...model, clocks: { high: 'wall', demo: 'wall', standard: 'working' } }, 200)
  const answer = await h.postLead()
  t.match(answer.lead.decision, { tier: 'demo', clock: 'wall' }, "the decision records the tier's clock")
  t.match(answer.handoff, { clock: 'wall', deadlineAt: '2026-06-16T15:55:00.000Z' })
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
