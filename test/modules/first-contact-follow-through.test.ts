// First contact follows through (issue 19): the overdue event names the manager, and with
// onOverdue "reassign" an uncontacted lead goes back into routing after its grace.
import t from 'tap'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'

const MINUTE = 60_000
const DEMO_DUE_SECONDS = 1800

async function followThrough(h: HandoffHarness, extra: object) {
  const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
  return h.call('PUT', '/v1/scoring', { ...model, firstContact: { high: 300, demo: DEMO_DUE_SECONDS, standard: 3600, ...extra } })
}

/** A lead offered, accepted by its rep; its first-contact task. */
async function acceptedLead(h: HandoffHarness) {
  const { lead, handoff } = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', handoff.repId)
  const [task] = await h.sql<{ id: string; due_at: Date; reassign_at: Date | null; status: string }>(
    'select id, due_at, reassign_at, status from tasks where lead_id = $1',
    [lead.id],
  )
  return { lead, handoff, task: task! }
}

const to = (h: HandoffHarness, at: Date, ms = 0) => h.baton.clock.advance(at.getTime() + ms - h.baton.clock.now().getTime())
const eventsOf = async (h: HandoffHarness, leadId: string, type: string) => (await h.events(leadId)).filter((e) => e.type === type)
const taskStatus = async (h: HandoffHarness, id: string) =>
  (await h.sql<{ status: string }>('select status from tasks where id = $1', [id]))[0]!.status

t.test('notify, the default: lead.contact_overdue names the manager, and the lead stays', async (t) => {
  const h = await handoffHarness(t)
  const manager = await h.newRep({ name: 'Mia Manager' })
  await h.setup(2, { managerId: manager })
  const { lead, handoff, task } = await acceptedLead(h)
  t.equal(task.reassign_at, null, 'no reassign time')
  to(h, task.due_at, MINUTE)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'overdue')
  const [overdue] = await eventsOf(h, lead.id, 'lead.contact_overdue')
  t.match(overdue!.data, { manager: { id: manager, name: 'Mia Manager' }, reassignAt: null, overdueBySeconds: 60 })
  t.equal(await h.baton.services.tasks.overdue(task.id), 'settled', 'once')
  h.baton.clock.advance(7 * 24 * 3600_000)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'settled', 'and never a reassign')
  t.match(await h.lead(lead.id), { status: 'accepted', ownerId: handoff.repId })
})

t.test('reassign after the grace: the task is cancelled and the lead offered to a rep who has not had it', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  t.equal((await followThrough(h, { onOverdue: 'reassign', graceSeconds: 600 })).statusCode, 200)
  const { lead, handoff, task } = await acceptedLead(h)
  t.equal(task.reassign_at!.getTime(), task.due_at.getTime() + 600_000, 'ten minutes after the due time (always working)')
  const { tasks } = h.baton.services

  to(h, task.due_at, 1000)
  t.equal(await tasks.overdue(task.id), 'overdue')
  const [overdue] = await eventsOf(h, lead.id, 'lead.contact_overdue')
  t.equal(overdue!.data.reassignAt, task.reassign_at!.toISOString(), 'the overdue event says when the lead moves')
  const booked = await h.sql("select 1 from pgboss.job where name = 'contact-overdue' and data->>'taskId' = $1", [task.id])
  t.equal(booked.length, 2, 'a second job for the reassign time')

  to(h, task.reassign_at!, -5000)
  t.equal(await tasks.overdue(task.id), 'early', 'five seconds early: nothing moves')
  t.equal(await taskStatus(h, task.id), 'open')
  to(h, task.reassign_at!)
  t.equal(await tasks.overdue(task.id), 'reassigned')
  t.equal(await tasks.overdue(task.id), 'settled', 'a retry of the job: nothing more')

  t.equal(await taskStatus(h, task.id), 'cancelled', "the former owner's task is cancelled")
  const other = repIds.find((id) => id !== handoff.repId)!
  const handoffs = await h.handoffs(lead.id)
  t.same(
    handoffs.map((x) => [x.rep_id, x.status, x.attempt]),
    [
      [handoff.repId, 'reassigned', 1],
      [other, 'pending', 2],
    ],
  )
  t.match(await h.lead(lead.id), { status: 'pending_acceptance', ownerId: null })
  const [reassigned] = await eventsOf(h, lead.id, 'lead.reassigned')
  t.match(reassigned!.data, {
    reason: 'contact_overdue',
    actor: { type: 'system', id: null },
    from: { id: handoff.repId },
    to: { id: other },
    handoff: { id: handoffs[1]!.id, status: 'pending' },
  })
  t.same(
    (await h.events(lead.id)).slice(-2).map((e) => e.type),
    ['lead.reassigned', 'lead.assigned'],
  )
  t.equal((await h.load(handoff.repId)).unworked, 0, 'the former owner no longer carries it as unworked')

  const late = await h.call('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 'rep', handoff.repId)
  t.equal(late.statusCode, 403, 'the former owner can no longer log the contact')
  await h.ok('POST', `/v1/handoffs/${handoffs[1]!.id}/accept`, undefined, 200, 'rep', other)
  const fresh = await h.sql<{ rep_id: string; status: string }>('select rep_id, status from tasks where lead_id = $1 order by created_at', [
    lead.id,
  ])
  t.same(fresh.at(-1), { rep_id: other, status: 'open' }, 'the new owner gets a first-contact task of their own')
})

t.test('a contact made during the grace keeps the lead', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  t.equal((await followThrough(h, { onOverdue: 'reassign', graceSeconds: 600 })).statusCode, 200)
  const { lead, handoff, task } = await acceptedLead(h)
  to(h, task.due_at, 1000)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'overdue')
  await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 201, 'rep', handoff.repId)
  to(h, task.reassign_at!)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'settled')
  t.match(await h.lead(lead.id), { status: 'contacted', ownerId: handoff.repId })
  t.same(await eventsOf(h, lead.id, 'lead.reassigned'), [])
})

t.test('a contact racing the reassign: exactly one of them happens', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  t.equal((await followThrough(h, { onOverdue: 'reassign' })).statusCode, 200)
  for (let round = 0; round < 6; round++) {
    const { lead, handoff, task } = await acceptedLead(h)
    t.equal(task.reassign_at!.getTime(), task.due_at.getTime(), 'no grace: it moves at the due time')
    to(h, task.due_at, 1000)
    const [moved, contact] = await Promise.all([
      h.baton.services.tasks.overdue(task.id),
      h.call('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 'rep', handoff.repId),
    ])
    const after = await h.lead(lead.id)
    const reassigned = (await eventsOf(h, lead.id, 'lead.reassigned')).length
    if (contact.statusCode === 201) {
      t.equal(after.status, 'contacted', `round ${round}: the contact won`)
      t.equal(reassigned, 0)
      t.not(moved, 'reassigned')
    } else {
      t.equal(contact.statusCode, 403, `round ${round}: the reassign won, the contact is refused`)
      t.equal(moved, 'reassigned')
      t.equal(reassigned, 1)
      t.equal(after.ownerId, null)
    }
    const live = await h.sql("select 1 from handoffs where lead_id = $1 and status in ('pending', 'accepted')", [lead.id])
    t.ok(live.length <= 1, 'never two live handoffs')
  }
})

t.test("the grace counts the owner's working time", async (t) => {
  const h = await handoffHarness(t, { start: '2026-06-16T13:00:00Z' }) // Tuesday 15:00 in Berlin
  const shift = [{ start: '09:00', end: '17:00' }]
  const week = { mon: shift, tue: shift, wed: shift, thu: shift, fri: shift }
  const rep = await h.newRep({ timezone: 'Europe/Berlin', workingHours: week })
  await h.routeTo(await h.newTeam([rep]), 3600)
  t.equal((await followThrough(h, { onOverdue: 'reassign', graceSeconds: 3600 })).statusCode, 200)
  const first = (await acceptedLead(h)).task
  t.equal(first.due_at.toISOString(), '2026-06-16T13:30:00.000Z', 'due 15:30 Berlin')
  t.equal(first.reassign_at!.toISOString(), '2026-06-16T14:30:00.000Z', 'moves at 16:30 Berlin')
  h.baton.clock.advance(90 * MINUTE) // 16:30
  const second = (await acceptedLead(h)).task
  t.equal(second.due_at.toISOString(), '2026-06-16T15:00:00.000Z', '30 minutes of work: due as the shift ends, 17:00')
  t.equal(second.reassign_at!.toISOString(), '2026-06-17T08:00:00.000Z', 'an hour of grace: 10:00 Wednesday, not overnight')
})

t.test('nobody left to take it: the lead waits unrouted, and lead.reassigned says so', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  t.equal((await followThrough(h, { onOverdue: 'reassign' })).statusCode, 200)
  const { lead, task } = await acceptedLead(h)
  to(h, task.due_at, 1000)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'reassigned')
  t.match(await h.lead(lead.id), { status: 'unrouted', ownerId: null })
  const [reassigned] = await eventsOf(h, lead.id, 'lead.reassigned')
  t.match(reassigned!.data, { to: null, handoff: null })
  t.equal((await eventsOf(h, lead.id, 'lead.unroutable')).length, 1)
})

t.test('a lost reassign job is run by the timer backstop', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  t.equal((await followThrough(h, { onOverdue: 'reassign', graceSeconds: 300 })).statusCode, 200)
  const { lead, task } = await acceptedLead(h)
  to(h, task.due_at, 1000)
  t.equal(await h.baton.services.tasks.overdue(task.id), 'overdue')
  await h.sql("delete from pgboss.job where name = 'contact-overdue'")
  to(h, task.reassign_at!, 29_000)
  t.match((await h.baton.services.timerBackstop.run()).contact_overdue, { found: 0 }, '29 s late: left to its job')
  h.baton.clock.advance(2000)
  t.match((await h.baton.services.timerBackstop.run()).contact_overdue, { found: 1, done: 1 })
  t.equal((await eventsOf(h, lead.id, 'lead.reassigned')).length, 1)
  t.match((await h.baton.services.timerBackstop.run()).contact_overdue, { found: 0 })
})

t.test('bad follow-through settings are 422 with their pointer', async (t) => {
  const h = await handoffHarness(t)
  const pointers = (res: { json(): { errors?: Array<{ pointer: string }> } }) => (res.json().errors ?? []).map((e) => e.pointer)
  const long = await followThrough(h, { onOverdue: 'reassign', graceSeconds: 7 * 24 * 3600 + 1 })
  t.same([long.statusCode, pointers(long)], [422, ['/firstContact/graceSeconds']], 'a grace over 7 days')
  const unknown = await followThrough(h, { onOverdue: 'escalate' })
  t.equal(unknown.statusCode, 422, 'an unknown onOverdue')
  t.ok(pointers(unknown).some((p) => p.startsWith('/firstContact/onOverdue')))
  t.equal((await followThrough(h, { onOverdue: 'reassign', graceSeconds: 7 * 24 * 3600 })).statusCode, 200, 'seven days exactly')
})
