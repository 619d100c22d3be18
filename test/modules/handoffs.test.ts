import t, { type Test } from 'tap'
import { handoffHarness, NOBODY, PROBLEM, type HandoffHarness } from '../helpers/handoffs.ts'

const types = (events: Array<{ type: string }>) => events.map((e) => e.type)
const accept = (id: string) => `/v1/handoffs/${id}/accept`
const decline = (id: string) => `/v1/handoffs/${id}/decline`

/** Lets the lead's pending handoff run out, as the deadline job would; that handoff. */
async function expirePending(t: Test, h: HandoffHarness, leadId: string) {
  const pending = await h.pendingOf(leadId)
  t.equal(await h.expire(pending), 'expired', `attempt ${pending.attempt} expires`)
  return pending
}

t.test('accepting a handoff', async (t) => {
  const h = await handoffHarness(t)
  const [a, b] = (await h.setup(2)).repIds as [string, string]
  const { lead, handoff } = await h.postLead()
  const mine: string = handoff.repId
  const other = mine === a ? b : a

  t.test('another rep, an integration or an unknown id cannot act on it', async (t) => {
    const cases = [
      ['GET', `/v1/handoffs/${handoff.id}`, undefined],
      ['POST', accept(handoff.id), undefined],
      ['POST', decline(handoff.id), { reason: 'mine now' }],
    ] as const
    for (const [method, url, payload] of cases) {
      const res = await h.call(method, url, payload, 'rep', other)
      // 404, as for an id that does not exist: a 403 would confirm another rep's handoff is there.
      t.equal(res.statusCode, 404, `${method} ${url} by another rep`)
      t.equal(res.headers['content-type'], PROBLEM)
    }
    t.equal((await h.call('POST', accept(handoff.id), undefined, 'integration')).statusCode, 403, 'an integration token may not accept')
    const unknown = await h.call('POST', accept(NOBODY), undefined, 'rep', mine)
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.headers['content-type'], PROBLEM)
    t.equal((await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).status, 'pending', 'nothing changed')
  })

  t.test('its rep accepts: the lead is theirs, once', async (t) => {
    t.same(await h.load(mine), { pending: 1, unworked: 0, expired_in_row: 0 })
    const res = await h.call('POST', accept(handoff.id), undefined, 'rep', mine)
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      id: handoff.id,
      leadId: lead.id,
      repId: mine,
      status: 'accepted',
      respondedAt: h.baton.clock.now().toISOString(),
    })
    t.match(await h.lead(lead.id), { status: 'accepted', ownerId: mine })
    const accepted = (await h.events(lead.id)).filter((e) => e.type === 'handoff.accepted')
    t.equal(accepted.length, 1)
    t.match(accepted[0]?.data, { handoff: { id: handoff.id, status: 'accepted' }, rep: { id: mine } })
    t.same(await h.load(mine), { pending: 0, unworked: 1, expired_in_row: 0 }, 'pending −1, unworked +1')

    const before = await h.eventCount()
    const again = await h.call('POST', accept(handoff.id), undefined, 'rep', mine)
    t.equal(again.statusCode, 200)
    t.same(again.json(), res.json(), 'the same answer')
    t.equal(await h.eventCount(), before, 'no second event')
    t.same(await h.load(mine), { pending: 0, unworked: 1, expired_in_row: 0 })
  })

  t.test('an admin may accept for any rep', async (t) => {
    const second = await h.postLead()
    t.match(await h.ok('POST', accept(second.handoff.id), undefined, 200), { status: 'accepted', repId: second.handoff.repId })
    t.match(await h.lead(second.lead.id), { status: 'accepted', ownerId: second.handoff.repId })
  })

  t.test('after the deadline (job not yet run) it is 409', async (t) => {
    const late = await h.postLead()
    h.pastDeadline(late.handoff, 1)
    const res = await h.call('POST', accept(late.handoff.id), undefined, 'rep', late.handoff.repId)
    t.equal(res.statusCode, 409)
    t.equal(res.headers['content-type'], PROBLEM)
    t.match(res.json(), { status: 409, code: 'conflict', handoffStatus: 'expired', detail: /deadline passed/ })
    t.match(await h.lead(late.lead.id), { status: 'pending_acceptance', ownerId: null }, 'nobody owns it')
  })

  t.test('after a decline it is 409', async (t) => {
    const declined = await h.postLead()
    await h.ok('POST', decline(declined.handoff.id), { reason: 'on holiday' }, 200, 'rep', declined.handoff.repId)
    const res = await h.call('POST', accept(declined.handoff.id), undefined, 'rep', declined.handoff.repId)
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'conflict', handoffStatus: 'declined' })
  })
})

t.test('declining moves the lead on at once, never back', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(3, { acceptWithinSeconds: 600 })
  const { lead, handoff } = await h.postLead()
  const before = await h.eventCount()
  for (const payload of [{}, { reason: '' }]) {
    const res = await h.call('POST', decline(handoff.id), payload, 'rep', handoff.repId)
    t.equal(res.statusCode, 422, `reason ${JSON.stringify(payload)}`)
    t.equal(res.headers['content-type'], PROBLEM)
    t.same(
      res.json().errors.map((e: { pointer: string }) => e.pointer),
      ['/reason'],
    )
  }
  t.equal(await h.eventCount(), before, 'a refused decline writes nothing')

  h.baton.clock.advance(5 * 60_000)
  const now = h.baton.clock.now()
  const res = await h.call('POST', decline(handoff.id), { reason: 'Not my territory' }, 'rep', handoff.repId)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: handoff.id, status: 'declined', reason: 'Not my territory', respondedAt: now.toISOString() })
  const [first, second] = await h.handoffs(lead.id)
  t.equal(first?.status, 'declined')
  t.match(second, { attempt: 2, status: 'pending' })
  t.not(second?.rep_id, handoff.repId, 'a different rep')
  t.equal(second!.created_at.getTime(), now.getTime(), 're-routed at the decline')
  t.equal(second!.deadline_at.getTime() - second!.created_at.getTime(), 600_000, 'the same 600 s window')
  t.match(await h.lead(lead.id), { status: 'pending_acceptance', ownerId: null })

  const events = (await h.events(lead.id)).slice(-3)
  t.same(types(events), ['handoff.declined', 'lead.rerouted', 'lead.assigned'])
  t.match(events[0]?.data, { reason: 'Not my territory', handoff: { id: handoff.id } })
  t.match(events[1]?.data, {
    reason: 'declined',
    attempt: 2,
    from: { id: handoff.id, repId: handoff.repId },
    to: { id: second!.id, repId: second!.rep_id, attempt: 2 },
  })
  t.match(events[2]?.data, { handoff: { id: second!.id }, rep: { id: second!.rep_id } })

  // The second rep declines too: the third, never the first again.
  await h.ok('POST', decline(second!.id), { reason: 'Busy' }, 200, 'rep', second!.rep_id)
  const third = await h.pendingOf(lead.id)
  t.match(third, { attempt: 3, status: 'pending' })
  t.notOk([handoff.repId, second!.rep_id].includes(third.repId), 'neither rep who declined')
  await h.ok('POST', decline(third.id), { reason: 'Busy too' }, 200, 'rep', third.repId)
  const all = await h.handoffs(lead.id)
  t.same(
    all.map((r) => r.status),
    ['declined', 'declined', 'declined'],
    'no rep got it twice',
  )
  t.same(new Set(all.map((r) => r.rep_id)), new Set(repIds))
  t.match(await h.lead(lead.id), { status: 'escalated', ownerId: null }, 'after 3 reps, escalated (no manager)')
})

t.test('expiry re-routes, then escalates', async (t) => {
  t.test('to the team manager after 3 reps; the manager letting it expire leaves it escalated', async (t) => {
    const h = await handoffHarness(t)
    const managerId = await h.newRep({ name: 'Manager' })
    const { repIds } = await h.setup(3, { managerId })
    const { lead } = await h.postLead()
    const first = await expirePending(t, h, lead.id)
    t.same(types((await h.events(lead.id)).slice(-3)), ['handoff.expired', 'lead.rerouted', 'lead.assigned'])
    t.match((await h.events(lead.id)).at(-2)?.data, { reason: 'expired', from: { id: first.id }, to: { attempt: 2 } })
    await expirePending(t, h, lead.id)
    await expirePending(t, h, lead.id)
    const escalation = await h.pendingOf(lead.id)
    t.match(escalation, { repId: managerId, attempt: 4, status: 'pending', routing: { rule: 'escalation' } })
    t.equal(Date.parse(escalation.deadlineAt) - Date.parse(escalation.createdAt), 1800_000, 'the demo tier window')
    t.match(await h.lead(lead.id), { status: 'escalated', ownerId: null })
    const events = (await h.events(lead.id)).slice(-3)
    t.same(types(events), ['handoff.expired', 'lead.escalated', 'lead.assigned'])
    t.match(events[1]?.data, { handoff: { id: escalation.id }, rep: { id: managerId }, attempts: 3 })
    t.same(new Set((await h.handoffs(lead.id)).slice(0, 3).map((r) => r.rep_id)), new Set(repIds), 'each rep once')

    t.equal(await h.expire(escalation), 'expired', 'the manager lets it expire')
    t.match(await h.lead(lead.id), { status: 'escalated', ownerId: null })
    t.equal(await h.pendingOf(lead.id), undefined, 'no pending handoff')
    const last = (await h.events(lead.id)).at(-1)
    t.match(last, { type: 'lead.escalated', data: { handoff: null, reason: /manager already had this lead/ } })
  })

  t.test('without any manager, escalated right after the 3rd rep', async (t) => {
    const h = await handoffHarness(t)
    await h.setup(3)
    const { lead } = await h.postLead()
    for (let i = 0; i < 3; i++) await expirePending(t, h, lead.id)
    t.match(await h.lead(lead.id), { status: 'escalated', ownerId: null })
    t.equal(await h.pendingOf(lead.id), undefined)
    t.equal((await h.handoffs(lead.id)).length, 3)
    t.match((await h.events(lead.id)).at(-1), { type: 'lead.escalated', data: { handoff: null, attempts: 3 } })
  })

  t.test('HANDOFF_MAX_ATTEMPTS=2 escalates after 2 reps', async (t) => {
    const h = await handoffHarness(t, { env: { HANDOFF_MAX_ATTEMPTS: '2' } })
    const managerId = await h.newRep({ name: 'Manager' })
    await h.setup(3, { managerId })
    const { lead } = await h.postLead()
    await expirePending(t, h, lead.id)
    await expirePending(t, h, lead.id)
    t.match(await h.pendingOf(lead.id), { repId: managerId, attempt: 3, routing: { rule: 'escalation' } })
    t.match(await h.lead(lead.id), { status: 'escalated' })
  })
})

t.test('auto-away', async (t) => {
  /** One rep who gets every lead; `steps` says what happens to each lead's handoff in turn. */
  const run = async (t: Test, env: Record<string, string>, steps: Array<'expire' | 'accept' | 'decline'>) => {
    const h = await handoffHarness(t, { env })
    const [rep] = (await h.setup(1)).repIds as [string]
    const statuses: string[] = []
    for (const step of steps) {
      const { handoff } = await h.postLead()
      if (step === 'expire') t.equal(await h.expire(handoff), 'expired')
      else
        await h.ok(
          'POST',
          step === 'accept' ? accept(handoff.id) : decline(handoff.id),
          step === 'decline' ? { reason: 'no' } : undefined,
          200,
          'rep',
          rep,
        )
      statuses.push(await h.repStatus(rep))
    }
    const autoAway = await h.sql<{ data: unknown }>("select data from events where type = 'rep.auto_away'")
    return { h, rep, statuses, autoAway }
  }

  t.test('3 expiries in a row set the rep away (default AUTO_AWAY_AFTER)', async (t) => {
    const { h, rep, statuses, autoAway } = await run(t, {}, ['expire', 'expire', 'expire'])
    t.same(statuses, ['available', 'available', 'away'])
    t.equal(autoAway.length, 1)
    t.match(autoAway[0]?.data, { rep: { id: rep, status: 'away' }, expiredInRow: 3 })
    t.equal((await h.load(rep)).expired_in_row, 0, 'the run starts again')
    t.equal((await h.postLead()).handoff, null, 'an away rep gets no new lead')
  })

  t.test('an accept or a decline in between resets the run (AUTO_AWAY_AFTER=2)', async (t) => {
    const { statuses, autoAway } = await run(t, { AUTO_AWAY_AFTER: '2' }, ['expire', 'accept', 'expire', 'decline', 'expire', 'expire'])
    t.same(statuses, ['available', 'available', 'available', 'available', 'available', 'away'])
    t.equal(autoAway.length, 1)
  })

  t.test('AUTO_AWAY_AFTER=0 never sets a rep away', async (t) => {
    const { statuses, autoAway } = await run(t, { AUTO_AWAY_AFTER: '0' }, ['expire', 'expire', 'expire', 'expire'])
    t.same(statuses, ['available', 'available', 'available', 'available'])
    t.same(autoAway, [])
  })
})

t.test('the deadline job does nothing when the world moved on', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  const accepted = (await h.postLead()).handoff
  await h.ok('POST', accept(accepted.id), undefined, 200)
  const declined = (await h.postLead()).handoff
  await h.ok('POST', decline(declined.id), { reason: 'no' }, 200)
  const before = await h.eventCount()
  t.equal(await h.expire(accepted), 'not_pending', 'accepted')
  t.equal(await h.expire(declined), 'not_pending', 'declined')
  t.equal(await h.service.expire(NOBODY), 'not_pending', 'unknown')
  t.equal(await h.eventCount(), before, 'no event written')
  t.same(
    [
      (await h.ok('GET', `/v1/handoffs/${accepted.id}`, undefined, 200)).status,
      (await h.ok('GET', `/v1/handoffs/${declined.id}`, undefined, 200)).status,
    ],
    ['accepted', 'declined'],
  )

  const early = (await h.postLead()).handoff
  const count = await h.eventCount()
  h.pastDeadline(early, -2000)
  t.equal(await h.service.expire(early.id), 'early', 'two seconds before the deadline')
  t.equal((await h.ok('GET', `/v1/handoffs/${early.id}`, undefined, 200)).status, 'pending')
  t.equal(await h.eventCount(), count, 'no event written')
  const jobs = await h.sql("select id from pgboss.job where name = 'handoff-deadline' and data->>'handoffId' = $1", [early.id])
  t.equal(jobs.length, 2, 'a fresh deadline job was booked for the rest')
  h.pastDeadline(early, -500)
  t.equal(await h.service.expire(early.id), 'expired', 'within a second of the deadline counts as due')
})

t.test('nobody left to take it: unrouted, then swept to a new rep with the next attempt', async (t) => {
  const h = await handoffHarness(t)
  const { repIds, teamId } = await h.setup(3)
  const [a, b, c] = repIds as [string, string, string]
  await h.ok('PATCH', `/v1/reps/${c}`, { status: 'away' }, 200)
  const { lead, handoff } = await h.postLead()
  t.ok([a, b].includes(handoff.repId))
  await expirePending(t, h, lead.id)
  const second = await h.pendingOf(lead.id)
  t.match(second, { attempt: 2, repId: handoff.repId === a ? b : a })
  await h.ok('POST', decline(second.id), { reason: 'no' }, 200, 'rep', second.repId)
  t.match(await h.lead(lead.id), { status: 'unrouted', ownerId: null })
  t.equal(await h.pendingOf(lead.id), undefined)
  const events = (await h.events(lead.id)).slice(-3)
  t.same(types(events), ['handoff.declined', 'lead.rerouted', 'lead.unroutable'])
  t.match(events[1]?.data, { from: { id: second.id }, to: null, reason: 'declined' })

  t.match(await h.sweeper.sweep(), { tried: 1, assigned: 0 }, 'the two available reps already had it')
  const d = await h.newRep()
  await h.ok('PATCH', `/v1/teams/${teamId}`, { members: [a, b, c, d].map((repId) => ({ repId })) }, 200)
  t.match(await h.sweeper.sweep(), { tried: 1, assigned: 1 })
  t.match(await h.pendingOf(lead.id), { repId: d, attempt: 3, status: 'pending' })
  t.match(await h.lead(lead.id), { status: 'pending_acceptance' })
  t.equal((await h.events(lead.id)).at(-1)?.type, 'lead.assigned')
})

t.test('GET /v1/handoffs', async (t) => {
  const h = await handoffHarness(t)
  const [a, b] = (await h.setup(2)).repIds as [string, string]
  const created: Array<{ id: string; repId: string }> = []
  for (let i = 0; i < 4; i++) created.push((await h.postLead()).handoff)
  await h.ok('POST', accept(created[0]!.id), undefined, 200)
  const newestFirst = created.map((x) => x.id).reverse()
  const ids = (page: { data: Array<{ id: string }> }) => page.data.map((x) => x.id)

  const all = await h.ok('GET', '/v1/handoffs', undefined, 200)
  t.same(ids(all), newestFirst, 'newest first')
  t.equal(all.nextCursor, null)
  const ofA = created
    .filter((x) => x.repId === a)
    .map((x) => x.id)
    .reverse()
  t.ok(ofA.length > 0 && ofA.length < 4, 'both reps have some')
  t.same(ids(await h.ok('GET', `/v1/handoffs?repId=${a}`, undefined, 200)), ofA)
  t.same(ids(await h.ok('GET', '/v1/handoffs?status=accepted', undefined, 200)), [created[0]!.id])
  t.same(ids(await h.ok('GET', '/v1/handoffs?status=pending', undefined, 200)), newestFirst.slice(0, 3))

  const paged: string[] = []
  let cursor: string | null = null
  do {
    const page: { data: Array<{ id: string }>; nextCursor: string | null } = await h.ok(
      'GET',
      `/v1/handoffs?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      undefined,
      200,
    )
    t.equal(page.data.length, 1)
    paged.push(...ids(page))
    cursor = page.nextCursor
  } while (cursor && paged.length < 10)
  t.same(paged, newestFirst, 'limit=1 pages through all, in order')

  t.same(ids(await h.ok('GET', '/v1/handoffs', undefined, 200, 'rep', a)), ofA, 'a rep token sees only its own')
  t.same(ids(await h.ok('GET', `/v1/handoffs?repId=${a}`, undefined, 200, 'rep', a)), ofA)
  const foreign = await h.call('GET', `/v1/handoffs?repId=${b}`, undefined, 'rep', a)
  t.equal(foreign.statusCode, 403)
  t.equal(foreign.headers['content-type'], PROBLEM)
})
