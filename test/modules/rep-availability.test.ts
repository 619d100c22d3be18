// Self-service availability (issue 20): a rep sets itself away or back, until a time, and may
// hand its pending offers back; rep.away and rep.available say who did it.
import t from 'tap'
import { handoffHarness, threeLeadsOf, type HandoffHarness } from '../helpers/handoffs.ts'

const HOUR_MS = 3600_000

const repEvents = (h: HandoffHarness, repId: string) =>
  h.sql<{ type: string; lead_id: string | null; data: { actor: { type: string; id: string | null }; awayUntil?: string | null } }>(
    "select type, lead_id, data from events where type in ('rep.away', 'rep.available') and data->'rep'->>'id' = $1 order by position",
    [repId],
  )
const asRep = (h: HandoffHarness, repId: string, body: object, path = '/v1/reps/me') => h.call('PATCH', path, body, 'rep', repId)

t.test('a rep sets itself away and back; the events name the rep', async (t) => {
  const h = await handoffHarness(t)
  const rep = await h.newRep()
  const away = await asRep(h, rep, { status: 'away' })
  t.equal(away.statusCode, 200)
  t.match(away.json(), { id: rep, status: 'away', awayUntil: null })
  t.equal((await asRep(h, rep, { status: 'available' }, `/v1/reps/${rep}`)).statusCode, 200, 'its own id works as well as me')
  t.same(
    (await repEvents(h, rep)).map((e) => [e.type, e.data.actor, e.lead_id]),
    [
      ['rep.away', { type: 'rep', id: rep }, null],
      ['rep.available', { type: 'rep', id: rep }, null],
    ],
  )
  t.equal((await asRep(h, rep, { status: 'available' })).statusCode, 200)
  t.equal((await repEvents(h, rep)).length, 2, 'no change, no event')
  t.match(await h.ok('GET', '/v1/reps/me', undefined, 200, 'rep', rep), { id: rep, status: 'available' })

  await h.ok('PATCH', `/v1/reps/${rep}`, { status: 'away' }, 200, 'admin', 'ops-lead')
  t.same(
    (await repEvents(h, rep)).at(-1)!.data.actor,
    { type: 'admin', id: 'ops-lead' },
    "an admin's change names the admin (the token's sub)",
  )
})

t.test('a rep changes nothing else, and no other rep', async (t) => {
  const h = await handoffHarness(t)
  const [rep, other] = [await h.newRep(), await h.newRep()]
  const res = await asRep(h, rep, { status: 'away', name: 'Boss', capacity: { maxPending: 99 } })
  t.equal(res.statusCode, 403)
  t.match(res.json(), { fields: ['name', 'capacity'], detail: /name, capacity/ })
  t.match(await h.ok('GET', `/v1/reps/${rep}`, undefined, 200), { status: 'available', capacity: { maxPending: null } }, 'nothing written')
  t.equal((await asRep(h, rep, { status: 'away' }, `/v1/reps/${other}`)).statusCode, 403, "another rep's id")
  t.equal(await h.repStatus(other), 'available')
  t.equal((await h.call('PATCH', `/v1/reps/${rep}`, { status: 'away' }, 'integration')).statusCode, 403, 'an integration token')
  const targets = [{ kind: 'email', address: 'me@home.example' }]
  t.match((await asRep(h, rep, { notificationTargets: targets })).json(), { notificationTargets: targets }, 'its own targets')
})

t.test('away until a time: available again at that second', async (t) => {
  const h = await handoffHarness(t)
  const rep = await h.newRep()
  const until = new Date(h.baton.clock.now().getTime() + 2 * HOUR_MS)
  const res = await asRep(h, rep, { awayUntil: until.toISOString() })
  t.match(res.json(), { status: 'away', awayUntil: until.toISOString() }, 'awayUntil implies away')
  const jobs = await h.sql("select 1 from pgboss.job where name = 'rep-away-until' and data->>'repId' = $1", [rep])
  t.equal(jobs.length, 1, 'the return is booked with the change')
  const { reps } = h.baton.services

  h.baton.clock.advance(2 * HOUR_MS - 5000)
  t.equal(await reps.returnFromAway(rep, until.toISOString()), 'early', 'five seconds early: still away')
  t.equal(await h.repStatus(rep), 'away')
  h.baton.clock.advance(5000)
  t.equal(await reps.returnFromAway(rep, until.toISOString()), 'available')
  t.match(await h.ok('GET', `/v1/reps/${rep}`, undefined, 200), { status: 'available', awayUntil: null })
  t.same(
    (await repEvents(h, rep)).map((e) => [e.type, e.data.actor.type]),
    [
      ['rep.away', 'rep'],
      ['rep.available', 'away_until'],
    ],
  )
  t.equal(await reps.returnFromAway(rep, until.toISOString()), 'settled', 'the job again: nothing')
})

t.test('a changed awayUntil: the old job does nothing, the new one returns the rep', async (t) => {
  const h = await handoffHarness(t)
  const rep = await h.newRep()
  const now = h.baton.clock.now().getTime()
  const [first, later] = [new Date(now + HOUR_MS).toISOString(), new Date(now + 3 * HOUR_MS).toISOString()]
  await asRep(h, rep, { awayUntil: first })
  t.match((await asRep(h, rep, { awayUntil: later })).json(), { awayUntil: later })
  t.match(
    (await repEvents(h, rep)).map((e) => e.data.awayUntil),
    [first, later],
    'rep.away again: the return moved',
  )
  h.baton.clock.advance(HOUR_MS)
  t.equal(await h.baton.services.reps.returnFromAway(rep, first), 'settled', 'the first return no longer holds')
  t.equal(await h.repStatus(rep), 'away')
  h.baton.clock.advance(2 * HOUR_MS)
  t.equal(await h.baton.services.reps.returnFromAway(rep, later), 'available')
  const cleared = await asRep(h, rep, { awayUntil: first.replace(/^\d{4}/, '2099') })
  t.equal(cleared.statusCode, 422, 'more than a year ahead')
})

t.test('bad availability is a 422 naming the field, and writes nothing', async (t) => {
  const h = await handoffHarness(t)
  const rep = await h.newRep()
  const pointer = async (body: object) => {
    const res = await asRep(h, rep, body)
    return [res.statusCode, res.json().errors?.map((e: { pointer: string }) => e.pointer)]
  }
  const past = new Date(h.baton.clock.now().getTime() - 1000).toISOString()
  const future = new Date(h.baton.clock.now().getTime() + HOUR_MS).toISOString()
  t.same(await pointer({ awayUntil: past }), [422, ['/awayUntil']], 'in the past')
  t.same(await pointer({ status: 'available', awayUntil: future }), [422, ['/awayUntil']], 'beside available')
  t.same(await pointer({ handBack: 'pending' }), [422, ['/handBack']], 'a hand-back while available')
  t.same(await pointer({ awayUntil: 'tomorrow' }), [422, ['/awayUntil']], 'not a date-time')
  t.match(await h.ok('GET', `/v1/reps/${rep}`, undefined, 200), { status: 'available', awayUntil: null })
  t.same(await repEvents(h, rep), [])
})

t.test('going away with handBack: pending offers move on at once', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  const offers = [await h.postLead(), await h.postLead(), await h.postLead(), await h.postLead()]
  const [leaving, staying] = [offers[0]!.handoff.repId as string, repIds.find((id) => id !== offers[0]!.handoff.repId)!]
  const theirs = offers.filter((o) => o.handoff.repId === leaving)
  t.equal(theirs.length, 2, 'round robin: two each')

  const res = await asRep(h, leaving, { status: 'away', handBack: 'pending' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'away', handedBack: { pending: 2 } })
  for (const { lead, handoff } of theirs) {
    t.same(
      (await h.handoffs(lead.id)).map((x) => [x.rep_id, x.status]),
      [
        [leaving, 'cancelled'],
        [staying, 'pending'],
      ],
    )
    const types = (await h.events(lead.id)).map((e) => e.type)
    t.same(types.slice(-3), ['handoff.withdrawn', 'lead.rerouted', 'lead.assigned'])
    const rerouted = (await h.events(lead.id)).find((e) => e.type === 'lead.rerouted')!
    t.equal(rerouted.data.reason, 'handed_back')
    const withdrawn = (await h.events(lead.id)).find((e) => e.type === 'handoff.withdrawn')!
    t.match(withdrawn.data, { handoff: { id: handoff.id, status: 'cancelled' }, reason: 'handed back by the rep' })
  }
  t.match(await h.load(leaving), { pending: 0 })
  t.match((await asRep(h, leaving, { status: 'away', handBack: 'pending' })).json(), { handedBack: { pending: 0 } }, 'again: nothing more')
})

t.test('a hand-back racing the rep accepting: each offer settles one way', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  const offers = []
  for (let i = 0; i < 6; i++) offers.push(await h.postLead())
  const leaving = offers[0]!.handoff.repId as string
  const theirs = offers.filter((o) => o.handoff.repId === leaving)
  const [patch, ...accepts] = await Promise.all([
    asRep(h, leaving, { status: 'away', handBack: 'pending' }),
    ...theirs.map((o) => h.call('POST', `/v1/handoffs/${o.handoff.id}/accept`, undefined, 'rep', leaving)),
  ])
  const accepted = accepts.filter((r) => r.statusCode === 200).length
  t.equal(accepted + patch.json().handedBack.pending, theirs.length, 'every offer accepted or handed back, none both')
  for (const { lead } of theirs) {
    const live = await h.sql("select 1 from handoffs where lead_id = $1 and status in ('pending', 'accepted')", [lead.id])
    t.equal(live.length, 1, 'exactly one live handoff per lead')
  }
})

t.test('auto-away and a lost return job', async (t) => {
  const h = await handoffHarness(t, { env: { AUTO_AWAY_AFTER: '1' } })
  await h.setup(2)
  const { handoff } = await h.postLead()
  t.equal(await h.expire(handoff), 'expired')
  t.same(
    (await repEvents(h, handoff.repId)).map((e) => [e.type, e.data.actor]),
    [['rep.away', { type: 'auto_away', id: null }]],
  )

  const rep = await h.newRep()
  await asRep(h, rep, { awayUntil: new Date(h.baton.clock.now().getTime() + HOUR_MS).toISOString() })
  await h.sql("delete from pgboss.job where name = 'rep-away-until'")
  h.baton.clock.advance(HOUR_MS + 29_000)
  t.match((await h.baton.services.timerBackstop.run()).rep_away_until, { found: 0 }, '29 s late: left to its job')
  h.baton.clock.advance(2000)
  t.match((await h.baton.services.timerBackstop.run()).rep_away_until, { found: 1, done: 1 })
  t.equal(await h.repStatus(rep), 'available')
})

t.test('a rep holding offers or open leads cannot be deleted', async (t) => {
  const h = await handoffHarness(t)
  const { repIds, teamId } = await h.setup(2)
  const kept = await h.postLead()
  const leaving = kept.handoff.repId as string
  await h.ok('POST', `/v1/handoffs/${kept.handoff.id}/accept`, undefined, 200, 'rep', leaving)
  await h.postLead() // the other rep's turn
  const waiting = await h.postLead()
  t.equal(waiting.handoff.repId, leaving)
  await h.ok('PATCH', `/v1/teams/${teamId}`, { members: repIds.filter((id) => id !== leaving).map((repId) => ({ repId })) }, 200)

  const refused = await h.call('DELETE', `/v1/reps/${leaving}`)
  t.equal(refused.statusCode, 409)
  t.match(refused.json(), { conflicts: { pendingOffers: 1, openLeads: 1 }, detail: /1 pending offers, 1 open leads/ })
  await asRep(h, leaving, { status: 'away', handBack: 'pending' })
  t.match((await h.call('DELETE', `/v1/reps/${leaving}`)).json(), { conflicts: { pendingOffers: 0, openLeads: 1 } })
  await h.ok('POST', `/v1/leads/${kept.lead.id}/close`, { reason: 'No budget' }, 200)
  t.equal((await h.call('DELETE', `/v1/reps/${leaving}`)).statusCode, 204, 'nothing held: deleted')
})

t.test("POST /v1/reps/:id/hand-back: a leaving rep's offers and leads move on", async (t) => {
  const h = await handoffHarness(t)
  const manager = await h.newRep({ name: 'Max Manager' })
  const { repIds, teamId } = await h.setup(2, { managerId: manager })
  const leaving = repIds[0]!
  await h.ok('PATCH', `/v1/reps/${leaving}`, { managerId: manager }, 200)
  const { unworked, contacted, pending } = await threeLeadsOf(h, leaving)
  await h.ok('PATCH', `/v1/teams/${teamId}`, { members: [repIds[1]!, await h.newRep()].map((repId) => ({ repId })) }, 200)
  const handBack = (include: string, role: 'admin' | 'rep' = 'admin', sub?: string) =>
    h.call('POST', `/v1/reps/${leaving}/hand-back`, { include }, role, sub)

  t.equal((await handBack('open', 'rep', leaving)).statusCode, 403, 'not the rep itself')
  t.equal((await handBack('open', 'rep', repIds[1])).statusCode, 403, 'nor another rep')
  t.same((await handBack('unworked', 'rep', manager)).json(), { pending: 1, leads: 1 }, 'their manager: the offer and the unworked lead')
  t.match(await h.lead(unworked.lead.id), { ownerId: null, status: 'pending_acceptance' })
  t.match(await h.lead(contacted.lead.id), { ownerId: leaving, status: 'contacted' }, 'a contacted lead stays with unworked')
  t.not((await h.pendingOf(pending.lead.id))?.repId, leaving)
  const [moved] = (await h.events(unworked.lead.id)).filter((e) => e.type === 'lead.reassigned')
  t.match(moved!.data, { actor: { type: 'manager', id: manager }, reason: 'handed back', from: { id: leaving } })

  t.same((await handBack('open')).json(), { pending: 0, leads: 1 }, 'open: the contacted one too')
  t.same((await handBack('open')).json(), { pending: 0, leads: 0 }, 'again: nothing more')
  t.equal((await h.call('DELETE', `/v1/reps/${leaving}`)).statusCode, 204, 'nothing held: the rep can go')
})
