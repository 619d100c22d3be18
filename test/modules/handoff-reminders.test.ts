// Reminders before the deadline (issue 19): handoff.reminder exactly once, never after an answer.
import t from 'tap'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'

const HOUR = 3600
const reminderJobs = (h: HandoffHarness, handoffId: string) =>
  h.sql<{ id: string; start_after: Date }>(
    "select id, start_after from pgboss.job where name = 'handoff-reminder' and data->>'handoffId' = $1",
    [handoffId],
  )
const reminderEvents = async (h: HandoffHarness, leadId: string) => (await h.events(leadId)).filter((e) => e.type === 'handoff.reminder')
const at = (h: HandoffHarness, iso: string, ms = 0) => h.baton.clock.advance(Date.parse(iso) + ms - h.baton.clock.now().getTime())

t.test('by default one reminder at half the window, sent once', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1, { acceptWithinSeconds: HOUR })
  const { handoff, lead } = await h.postLead()
  const created = Date.parse(handoff.createdAt)
  const [row] = await h.sql<{ reminders: unknown }>('select reminders from handoffs where id = $1', [handoff.id])
  t.same(row!.reminders, [{ beforeSeconds: 1800, at: new Date(created + 1800_000).toISOString(), sentAt: null }])
  t.equal((await reminderJobs(h, handoff.id)).length, 1, 'its job was sent with the handoff')

  h.baton.clock.advance(1795_000)
  t.equal(await h.service.remind(handoff.id, 1800), 'early', 'five seconds early: booked again, nothing sent')
  t.equal((await reminderJobs(h, handoff.id)).length, 2)
  h.baton.clock.advance(5_000)
  t.equal(await h.service.remind(handoff.id, 1800), 'reminded')
  t.equal(await h.service.remind(handoff.id, 1800), 'sent_before', 'the job again (a retry, the rebooked one): nothing more')
  const events = await reminderEvents(h, lead.id)
  t.equal(events.length, 1)
  t.match(events[0]!.data, {
    beforeSeconds: 1800,
    secondsLeft: 1800,
    handoff: { id: handoff.id, status: 'pending' },
    rep: { id: handoff.repId },
  })
})

t.test('never after an answer, never past the deadline', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2, { acceptWithinSeconds: HOUR })
  const accepted = (await h.postLead()).handoff
  await h.ok('POST', `/v1/handoffs/${accepted.id}/accept`, undefined, 200)
  h.baton.clock.advance(1800_000)
  t.equal(await h.service.remind(accepted.id, 1800), 'not_pending', 'accepted: no reminder')
  t.same(await reminderEvents(h, accepted.leadId), [])

  const expired = (await h.postLead()).handoff
  h.pastDeadline(expired)
  t.equal(await h.service.remind(expired.id, 1800), 'not_pending', 'the deadline came first: the expiry is due, not a reminder')
  t.same(await reminderEvents(h, expired.leadId), [])
})

t.test('a reminder and an accept racing: one outcome, at most one reminder', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1, { acceptWithinSeconds: HOUR })
  for (let i = 0; i < 5; i++) {
    const { handoff } = await h.postLead()
    at(h, handoff.createdAt, 1800_000)
    const [a, b, accept] = await Promise.all([
      h.service.remind(handoff.id, 1800),
      h.service.remind(handoff.id, 1800),
      h.call('POST', `/v1/handoffs/${handoff.id}/accept`),
    ])
    t.equal(accept.statusCode, 200, 'the accept is never refused by a reminder')
    t.ok([a, b].filter((outcome) => outcome === 'reminded').length <= 1, `round ${i}: at most one reminded (${a}, ${b})`)
    const sent = (await reminderEvents(h, handoff.leadId)).length
    t.equal(sent, [a, b].includes('reminded') ? 1 : 0, 'events match what the handlers said')
  }
})

t.test('a reminder, an answer and the deadline racing: one outcome, the reminder only before it', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(6, { acceptWithinSeconds: HOUR })
  for (let round = 0; round < 6; round++) {
    const { handoff } = await h.postLead()
    // Half a second before the deadline: the reminder is overdue, an answer is still in time, and
    // the deadline job counts as on time (it may run up to a second early).
    at(h, handoff.deadlineAt, -500)
    const answer = round % 2 === 0 ? 'accept' : 'decline'
    const [reminded, response, expired] = await Promise.all([
      h.service.remind(handoff.id, 1800),
      h.call('POST', `/v1/handoffs/${handoff.id}/${answer}`, answer === 'decline' ? { reason: 'busy' } : undefined, 'rep', handoff.repId),
      h.service.expire(handoff.id),
    ])
    const [row] = await h.sql<{ status: string }>('select status from handoffs where id = $1', [handoff.id])
    const winners = [response.statusCode === 200 ? answer : null, expired === 'expired' ? 'expire' : null].filter(Boolean)
    t.equal(winners.length, 1, `round ${round}: exactly one of ${answer} and the deadline (${response.statusCode}, ${expired})`)
    t.equal(row!.status, winners[0] === 'expire' ? 'expired' : answer === 'accept' ? 'accepted' : 'declined')
    const events = await h.events(handoff.leadId)
    const sent = events.filter((e) => e.type === 'handoff.reminder').length
    t.equal(sent, reminded === 'reminded' ? 1 : 0, 'a reminder event only when the reminder said so')
    if (sent === 1) {
      const types = events.map((e) => e.type)
      t.ok(
        types.indexOf('handoff.reminder') < types.findIndex((type) => /^handoff\.(accepted|declined|expired)$/.test(type)),
        'and before the outcome',
      )
    }
  }
})

t.test('a rule names its reminders; short windows and [] get none', async (t) => {
  const h = await handoffHarness(t)
  const { teamId } = await h.setup(1)
  const rule = (extra: object) => ({ rules: [{ name: 'r', assign: { type: 'team', teamId }, ...extra }], fallback: null })
  await h.ok('PUT', '/v1/routing', rule({ acceptWithinSeconds: HOUR, remindBeforeSeconds: [300, 900] }), 200)
  const two = (await h.postLead()).handoff
  const created = Date.parse(two.createdAt)
  const [row] = await h.sql<{ reminders: Array<{ beforeSeconds: number; at: string }> }>('select reminders from handoffs where id = $1', [
    two.id,
  ])
  t.same(
    row!.reminders.map((r) => [r.beforeSeconds, r.at]),
    [
      [900, new Date(created + 2700_000).toISOString()],
      [300, new Date(created + 3300_000).toISOString()],
    ],
    'earliest first',
  )
  t.equal((await reminderJobs(h, two.id)).length, 2)

  await h.ok('PUT', '/v1/routing', rule({ acceptWithinSeconds: 300 }), 200)
  t.same(
    (await h.sql('select reminders from handoffs where id = $1', [(await h.postLead()).handoff.id]))[0]!.reminders,
    [],
    'a 5-minute window: none',
  )
  await h.ok('PUT', '/v1/routing', rule({ acceptWithinSeconds: HOUR, remindBeforeSeconds: [] }), 200)
  t.same((await h.sql('select reminders from handoffs where id = $1', [(await h.postLead()).handoff.id]))[0]!.reminders, [], '[]: none')
})

t.test("on the working clock the reminder falls in the rep's working time", async (t) => {
  const h = await handoffHarness(t, { start: '2026-06-16T14:55:00Z' }) // Tuesday 16:55 in Berlin
  const shift = [{ start: '09:00', end: '17:00' }]
  const rep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: { mon: shift, tue: shift, wed: shift, thu: shift, fri: shift } })
  await h.routeTo(await h.newTeam([rep]), HOUR)
  const { handoff } = await h.postLead()
  const [row] = await h.sql<{ reminders: Array<{ at: string }> }>('select reminders from handoffs where id = $1', [handoff.id])
  t.equal(
    row!.reminders[0]!.at,
    '2026-06-17T07:25:00.000Z',
    'half an hour of work before 09:55 Wednesday: 09:25, not 09:25 minus the night',
  )
})

t.test('bad reminders are 422 with their pointer', async (t) => {
  const h = await handoffHarness(t)
  const { teamId } = await h.setup(1)
  const put = (extra: object) =>
    h.call('PUT', '/v1/routing', { rules: [{ name: 'r', assign: { type: 'team', teamId }, ...extra }], fallback: null })
  const pointers = (res: { json(): { errors?: Array<{ pointer: string }> } }) => (res.json().errors ?? []).map((e) => e.pointer)
  const notShorter = await put({ acceptWithinSeconds: 600, remindBeforeSeconds: [600] })
  t.equal(notShorter.statusCode, 422)
  t.same(pointers(notShorter), ['/rules/0/remindBeforeSeconds/0'], 'not shorter than its window')
  const twice = await put({ acceptWithinSeconds: 600, remindBeforeSeconds: [60, 60] })
  t.same([twice.statusCode, pointers(twice)], [422, ['/rules/0/remindBeforeSeconds/1']], 'the same time twice')
  const negative = await put({ remindBeforeSeconds: [-5] })
  t.equal(negative.statusCode, 422, 'negative')
  t.ok(pointers(negative).some((p) => p.startsWith('/rules/0/remindBeforeSeconds')))

  const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
  const tooLong = await h.call('PUT', '/v1/scoring', { ...model, reminders: { demo: [model.deadlines.demo] } })
  t.same([tooLong.statusCode, pointers(tooLong)], [422, ['/reminders/demo/0']], "the model's, against the tier's deadline")
  await h.ok('PUT', '/v1/scoring', { ...model, reminders: { demo: [600] } }, 200)
  await h.routeTo(teamId)
  const { handoff } = await h.postLead()
  const [row] = await h.sql<{ reminders: Array<{ beforeSeconds: number }> }>('select reminders from handoffs where id = $1', [handoff.id])
  t.same(
    row!.reminders.map((r) => r.beforeSeconds),
    [600],
    "the tier's reminders, when the rule names none",
  )
})

t.test('a lost reminder job is sent by the timer backstop', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1, { acceptWithinSeconds: HOUR })
  const { handoff, lead } = await h.postLead()
  await h.sql("delete from pgboss.job where name = 'handoff-reminder'")
  at(h, handoff.createdAt, 1800_000 + 29_000)
  t.match((await h.baton.services.timerBackstop.run()).handoff_reminder, { found: 0 }, '29 s late: left to its job')
  h.baton.clock.advance(2_000)
  t.match((await h.baton.services.timerBackstop.run()).handoff_reminder, { found: 1, done: 1 })
  t.equal((await reminderEvents(h, lead.id)).length, 1)
  t.match((await h.baton.services.timerBackstop.run()).handoff_reminder, { found: 0 }, 'sent: nothing more to find')
})
