// Reassign (issue 20): a person moves a lead on purpose — offered to a rep, transferred to one,
// or sent back into routing — and races with the rep's own answers settle to one outcome.
import t, { type Test } from 'tap'
import { handoffHarness, NOBODY, type HandoffHarness } from '../helpers/handoffs.ts'

const reassign = (h: HandoffHarness, leadId: string, body: object, role: 'admin' | 'integration' | 'rep' = 'admin', sub?: string) =>
  h.call('POST', `/v1/leads/${leadId}/reassign`, body, role, sub)
const accept = (h: HandoffHarness, handoff: { id: string; repId: string }) =>
  h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'rep', handoff.repId)
const tasksOf = (h: HandoffHarness, leadId: string) =>
  h.sql<{ rep_id: string; status: string }>('select rep_id, status from tasks where lead_id = $1 order by created_at', [leadId])

/** Never two offers waiting, never two owners, and the owner is the rep whose handoff was accepted. */
async function invariants(t: Test, h: HandoffHarness, leadId: string) {
  const live = await h.sql<{ status: string; rep_id: string }>(
    "select status, rep_id from handoffs where lead_id = $1 and status in ('pending', 'accepted')",
    [leadId],
  )
  t.ok(live.filter((x) => x.status === 'pending').length <= 1, 'at most one pending handoff')
  const accepted = live.filter((x) => x.status === 'accepted')
  t.ok(accepted.length <= 1, 'at most one accepted handoff')
  const lead = await h.lead(leadId)
  t.equal(lead.ownerId, accepted[0]?.rep_id ?? null, 'the owner is the rep whose handoff was accepted')
}

t.test('offer a waiting lead to a named rep: the waiting handoff is withdrawn', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  const target = await h.newRep({ name: 'Tess Target' })
  const { lead, handoff } = await h.postLead()
  const res = await reassign(h, lead.id, { repId: target, reason: 'speaks German' })
  t.equal(res.statusCode, 200)
  const answer = res.json()
  t.match(answer, { lead: { status: 'pending_acceptance', ownerId: null }, handoff: { repId: target, status: 'pending', attempt: 2 } })
  t.same(
    (await h.handoffs(lead.id)).map((x) => [x.rep_id, x.status, x.rule_name]),
    [
      [handoff.repId, 'cancelled', 'everyone'],
      [target, 'pending', 'reassign'],
    ],
  )
  const events = await h.events(lead.id)
  t.same(
    events.slice(-3).map((e) => e.type),
    ['handoff.withdrawn', 'lead.reassigned', 'lead.assigned'],
  )
  t.match(events.at(-2)!.data, {
    mode: 'offer',
    reason: 'speaks German',
    actor: { type: 'admin' },
    from: { id: handoff.repId },
    to: { id: target, name: 'Tess Target' },
  })
  t.match(await h.load(handoff.repId), { pending: 0 }, "the first rep's slot is free again")
  t.equal((await accept(h, handoff)).statusCode, 409, 'the withdrawn offer can no longer be accepted')
  t.equal((await accept(h, answer.handoff)).statusCode, 200)
  await invariants(t, h, lead.id)
})

t.test('offer an owned lead: the owner keeps it until the new rep accepts', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const [target, other] = [await h.newRep(), await h.newRep()]
  const { lead, handoff } = await h.postLead()
  await accept(h, handoff)

  const declined = (await reassign(h, lead.id, { repId: other })).json()
  t.match(declined.lead, { status: 'accepted', ownerId: handoff.repId }, 'still the owner meanwhile')
  await invariants(t, h, lead.id)
  await h.ok('POST', `/v1/handoffs/${declined.handoff.id}/decline`, { reason: 'busy' }, 200, 'rep', other)
  t.match(await h.lead(lead.id), { status: 'accepted', ownerId: handoff.repId }, 'declined: the owner still has it, no re-route')
  t.same(await h.pendingOf(lead.id), undefined)

  const offered = (await reassign(h, lead.id, { repId: target })).json()
  t.equal((await accept(h, offered.handoff)).statusCode, 200)
  t.match(await h.lead(lead.id), { status: 'accepted', ownerId: target })
  t.same(
    (await h.handoffs(lead.id)).map((x) => [x.rep_id, x.status]),
    [
      [handoff.repId, 'reassigned'],
      [other, 'declined'],
      [target, 'accepted'],
    ],
  )
  t.same(
    (await tasksOf(h, lead.id)).map((x) => [x.rep_id, x.status]),
    [
      [handoff.repId, 'cancelled'],
      [target, 'open'],
    ],
  )
  t.match(await h.load(handoff.repId), { unworked: 0 })
  await invariants(t, h, lead.id)
})

t.test('transfer: the rep owns it at once, with a task of their own', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const target = await h.newRep()
  const { lead, handoff } = await h.postLead()
  await accept(h, handoff)
  const res = await reassign(h, lead.id, { repId: target, mode: 'transfer', reason: 'owner on leave' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { lead: { status: 'accepted', ownerId: target }, handoff: { repId: target, status: 'accepted' } })
  t.same(
    (await tasksOf(h, lead.id)).map((x) => [x.rep_id, x.status]),
    [
      [handoff.repId, 'cancelled'],
      [target, 'open'],
    ],
  )
  t.same(
    (await h.events(lead.id)).slice(-2).map((e) => e.type),
    ['lead.reassigned', 'task.created'],
  )
  const late = await h.call('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 'rep', handoff.repId)
  t.equal(late.statusCode, 403, 'the former owner no longer acts on it')
  await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 201, 'rep', target)
  await invariants(t, h, lead.id)
})

t.test('without a rep: back into routing, to a rep who has not had it', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  const { lead, handoff } = await h.postLead()
  await accept(h, handoff)
  const res = await reassign(h, lead.id, { reason: 'not followed up' })
  const other = repIds.find((id) => id !== handoff.repId)
  t.match(res.json(), { lead: { status: 'pending_acceptance', ownerId: null }, handoff: { repId: other, status: 'pending' } })
  const [reassigned] = (await h.events(lead.id)).filter((e) => e.type === 'lead.reassigned')
  t.match(reassigned!.data, { mode: 'routing', from: { id: handoff.repId }, to: { id: other } })
  await invariants(t, h, lead.id)
})

t.test('an escalated lead nobody is left for is rescued by a reassign', async (t) => {
  const h = await handoffHarness(t, { env: { HANDOFF_MAX_ATTEMPTS: '1' } })
  await h.setup(1)
  const rescuer = await h.newRep()
  const { lead, handoff } = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'no' }, 200, 'rep', handoff.repId)
  t.match(await h.lead(lead.id), { status: 'escalated' })
  const listed = await h.ok('GET', '/v1/leads?status=escalated', undefined, 200)
  t.ok(
    listed.data.some((l: { id: string }) => l.id === lead.id),
    'listed among the escalated',
  )
  const res = await reassign(h, lead.id, { repId: rescuer, mode: 'transfer' })
  t.match(res.json(), { lead: { status: 'accepted', ownerId: rescuer } })
  await invariants(t, h, lead.id)
})

t.test('bad requests write nothing', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const away = await h.newRep({ status: 'away' })
  const { lead, handoff } = await h.postLead()
  const before = await h.eventCount()
  const unknown = await reassign(h, lead.id, { repId: NOBODY })
  t.same([unknown.statusCode, unknown.json().errors?.[0]?.pointer], [422, '/repId'], 'an unknown rep')
  const awayOffer = await reassign(h, lead.id, { repId: away })
  t.match([awayOffer.statusCode, awayOffer.json().errors?.[0]], [422, { pointer: '/repId', detail: /away/ }], 'an away rep, for an offer')
  t.same((await reassign(h, lead.id, { mode: 'transfer' })).statusCode, 422, 'a transfer to nobody')
  t.equal((await reassign(h, lead.id, { repId: handoff.repId })).statusCode, 409, 'to the rep it already waits for')
  t.equal((await reassign(h, NOBODY, { reason: 'x' })).statusCode, 404)
  t.equal(await h.eventCount(), before, 'no event')
  t.match(await h.pendingOf(lead.id), { id: handoff.id }, 'the offer still waits')

  await h.ok('POST', `/v1/leads/${lead.id}/close`, { reason: 'spam' }, 200)
  const closed = await reassign(h, lead.id, {})
  t.match([closed.statusCode, closed.json()], [409, { leadStatus: 'closed' }], 'a closed lead')
})

t.test('who may reassign', async (t) => {
  const h = await handoffHarness(t)
  const manager = await h.newRep({ name: 'Max Manager' })
  const { repIds, teamId } = await h.setup(2, { managerId: manager })
  const outsider = await h.newRep()
  const { lead, handoff } = await h.postLead()
  const other = repIds.find((id) => id !== handoff.repId)!

  t.equal((await reassign(h, lead.id, { repId: other }, 'rep', handoff.repId)).statusCode, 403, 'the offered rep itself: 403')
  t.equal((await reassign(h, lead.id, { repId: other }, 'rep', outsider)).statusCode, 404, 'a rep never offered it: 404')
  const noReason = await reassign(h, lead.id, { repId: other }, 'integration')
  t.same([noReason.statusCode, noReason.json().errors?.[0]?.pointer], [422, '/reason'], 'an integration without a reason')
  const byManager = await reassign(h, lead.id, { repId: other }, 'rep', manager)
  t.equal(byManager.statusCode, 200, "the team's manager")
  const [event] = (await h.events(lead.id)).filter((e) => e.type === 'lead.reassigned')
  t.match(event!.data.actor, { type: 'manager', id: manager })
  const [moved] = await h.sql("select team_id from handoffs where lead_id = $1 and status = 'pending'", [lead.id])
  t.equal(moved.team_id, teamId, 'the new offer stays the team’s')
  t.equal(
    (await reassign(h, lead.id, { repId: handoff.repId, mode: 'transfer' }, 'rep', manager)).statusCode,
    200,
    'so its manager moves it again',
  )
  t.equal((await reassign(h, lead.id, { reason: 'CRM sync' }, 'integration')).statusCode, 200, 'an integration naming why')
})

t.test('a transfer racing the rep accepting: one owner, whoever won', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const target = await h.newRep()
  for (let round = 0; round < 6; round++) {
    const { lead, handoff } = await h.postLead()
    const [moved, accepted] = await Promise.all([reassign(h, lead.id, { repId: target, mode: 'transfer' }), accept(h, handoff)])
    t.equal(moved.statusCode, 200, `round ${round}: the transfer goes through`)
    t.ok([200, 409].includes(accepted.statusCode), `the accept either came first or found the offer withdrawn (${accepted.statusCode})`)
    t.match(await h.lead(lead.id), { ownerId: target, status: 'accepted' })
    await invariants(t, h, lead.id)
  }
})
