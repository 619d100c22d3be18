import t, { type Test } from 'tap'
import type { Role } from '../../src/lib/auth-keys.ts'
import { buildTestApp } from '../helpers/app.ts'
import { apiClient } from '../helpers/api.ts'

const NOBODY = '01900000-0000-7000-8000-000000000000'
const MINUTE = 60_000
const pointers = (res: { json: () => { errors?: Array<{ pointer: string }> } }) => res.json().errors?.map((e) => e.pointer)

/**
 * A Baton with ROLE=api (no worker runs a job behind the test's back) and two reps;
 * every lead goes to rep A unless `routeTo` says otherwise.
 */
async function activitiesHarness(t: Test) {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  const { call, ok, sql } = apiClient(baton)
  let reps = 0
  let leads = 0
  const h = {
    baton,
    call,
    ok,
    sql,
    newRep: async (extra: object = {}): Promise<string> =>
      (await ok('POST', '/v1/reps', { name: `Rep ${++reps}`, email: `rep${reps}@baton.example`, timezone: 'UTC', ...extra }, 201)).id,
    routeTo: (repId: string) => ok('PUT', '/v1/routing', { rules: [{ name: 'all', assign: { type: 'rep', repId } }], fallback: null }, 200),
    /** A demo-tier lead, pending with rep A; the 201 answer. */
    postLead: async () =>
      ok(
        'POST',
        '/v1/leads',
        { email: `lead${++leads}@acme.example`, company: 'Acme', signals: { demoRequested: true } },
        201,
        'integration',
      ),
    /** A lead its rep accepted a minute after it came in. */
    accepted: async () => {
      const { lead, handoff } = await h.postLead()
      baton.clock.advance(MINUTE)
      await ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', handoff.repId)
      const [task] = await sql<{ id: string }>('select id from tasks where lead_id = $1', [lead.id])
      return { lead, handoff, taskId: task!.id }
    },
    lead: async (id: string) => ok('GET', `/v1/leads/${id}`, undefined, 200),
    task: async (id: string) =>
      (await sql<{ status: string; completed_at: Date | null }>('select status, completed_at from tasks where id = $1', [id]))[0]!,
    types: async (leadId: string) =>
      (await sql<{ type: string }>('select type from events where lead_id = $1 order by position', [leadId])).map((e) => e.type),
    events: async (leadId: string, type: string) =>
      sql<{ data: Record<string, unknown> }>('select data from events where lead_id = $1 and type = $2 order by position', [leadId, type]),
    /** The rep's pending and unworked counts. */
    load: async (repId: string) =>
      (await sql<{ pending: number; unworked: number }>('select pending, unworked from rep_workload where rep_id = $1', [repId]))[0]!,
  }
  const repA = await h.newRep()
  const repB = await h.newRep()
  await h.routeTo(repA)
  return { ...h, repA, repB }
}

t.test('POST /v1/leads/:id/activities', async (t) => {
  const h = await activitiesHarness(t)
  const log = (leadId: string, body: object, role: Role = 'rep', sub: string | undefined = h.repA) =>
    h.call('POST', `/v1/leads/${leadId}/activities`, body, role, sub)

  t.test('a note is not a contact; the first call is, once', async (t) => {
    const { lead, taskId } = await h.accepted()
    t.same(await h.load(h.repA), { pending: 0, unworked: 1 })
    h.baton.clock.advance(5 * MINUTE)
    const note = await log(lead.id, { type: 'note', note: 'Left a voicemail greeting' })
    t.equal(note.statusCode, 201)
    t.match(note.json(), {
      firstContact: false,
      lead: { status: 'accepted', contactedAt: null },
      activity: {
        leadId: lead.id,
        repId: h.repA,
        type: 'note',
        note: 'Left a voicemail greeting',
        occurredAt: h.baton.clock.now().toISOString(),
      },
    })
    t.equal((await h.task(taskId)).status, 'open')

    h.baton.clock.advance(5 * MINUTE)
    const occurredAt = new Date(h.baton.clock.now().getTime() - 2 * MINUTE).toISOString()
    const call = await log(lead.id, { type: 'call', occurredAt })
    t.equal(call.statusCode, 201)
    t.match(call.json(), {
      firstContact: true,
      lead: { status: 'contacted', contactedAt: occurredAt },
      activity: { type: 'call', occurredAt, note: null },
    })
    t.match(await h.lead(lead.id), { status: 'contacted', contactedAt: occurredAt, ownerId: h.repA })
    const contacted = await h.events(lead.id, 'lead.contacted')
    t.equal(contacted.length, 1)
    t.match(contacted[0]?.data, { lead: { id: lead.id, status: 'contacted' }, activity: { id: call.json().activity.id } })
    t.match(await h.task(taskId), { status: 'completed', completed_at: h.baton.clock.now() })
    t.match(await h.events(lead.id, 'task.completed'), [{ data: { task: { id: taskId, status: 'completed' } } }])
    t.same(await h.load(h.repA), { pending: 0, unworked: 0 }, 'no longer unworked')

    const second = await log(lead.id, { type: 'call' })
    t.equal(second.statusCode, 201)
    t.match(second.json(), { firstContact: false, lead: { status: 'contacted', contactedAt: occurredAt } })
    t.equal((await h.events(lead.id, 'lead.contacted')).length, 1, 'no second lead.contacted')
    t.same(await h.load(h.repA), { pending: 0, unworked: 0 })
  })

  t.test('an email or a meeting is a first contact too', async (t) => {
    for (const type of ['email', 'meeting']) {
      const { lead, taskId } = await h.accepted()
      t.match((await log(lead.id, { type })).json(), { firstContact: true, lead: { status: 'contacted' } }, type)
      t.equal((await h.task(taskId)).status, 'completed')
    }
  })

  t.test('bad input is 422 and writes nothing', async (t) => {
    const { lead } = await h.accepted()
    const future = await log(lead.id, { type: 'call', occurredAt: new Date(h.baton.clock.now().getTime() + 3600_000).toISOString() })
    t.equal(future.statusCode, 422)
    t.same(pointers(future), ['/occurredAt'])
    const unknown = await log(lead.id, { type: 'sms' })
    t.equal(unknown.statusCode, 422)
    t.same(pointers(unknown), ['/type'])
    t.same(await h.sql('select id from activities where lead_id = $1', [lead.id]), [])
    t.match(await h.lead(lead.id), { status: 'accepted' })
  })

  t.test('a first contact before the lead came in', async (t) => {
    const { lead } = await h.accepted()
    const res = await log(lead.id, { type: 'call', occurredAt: '2025-01-01T00:00:00.000Z' })
    t.equal(res.statusCode, 422, 'is refused, not recorded as contactedAt a year before createdAt')
    t.match(res.json().errors, [{ pointer: '/occurredAt', detail: /before the lead came in/ }])
    t.match(await h.lead(lead.id), { status: 'accepted', contactedAt: null })
  })

  t.test('who may log what', async (t) => {
    const { lead, handoff } = await h.postLead()
    for (const role of ['admin', 'integration'] as const) {
      const res = await log(lead.id, { type: 'call' }, role, undefined)
      t.equal(res.statusCode, 409, `a call on a lead nobody accepted (${role})`)
      t.match(res.json(), { code: 'conflict', leadStatus: 'pending_acceptance' })
    }
    t.equal((await log(lead.id, { type: 'call' }, 'rep', handoff.repId)).statusCode, 403, 'its pending rep: not theirs yet')
    const owned = await h.accepted()
    t.equal((await log(owned.lead.id, { type: 'call' }, 'rep', h.repB)).statusCode, 403, "another rep's token")
    t.equal((await log(NOBODY, { type: 'call' }, 'admin', undefined)).statusCode, 404, 'an unknown lead')
    t.same(await h.sql('select id from activities where lead_id = any($1)', [[lead.id, owned.lead.id]]), [])
    t.match(
      await log(owned.lead.id, { type: 'call' }, 'integration', undefined),
      { statusCode: 201 },
      'a CRM syncing back logs on any lead',
    )
  })
})

t.test('POST /v1/leads/:id/convert', async (t) => {
  const h = await activitiesHarness(t)
  const convert = (leadId: string, body: object, role: Role = 'rep', sub: string | undefined = h.repA) =>
    h.call('POST', `/v1/leads/${leadId}/convert`, body, role, sub)
  const opportunity = { amount: 48000, currency: 'EUR', externalId: 'opp_123', name: 'Acme — 50 seats', closeDate: '2026-03-31' }

  t.test('an accepted lead converts: its task completes', async (t) => {
    const { lead, taskId } = await h.accepted()
    h.baton.clock.advance(10 * MINUTE)
    const now = h.baton.clock.now().toISOString()
    const res = await convert(lead.id, opportunity)
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      id: lead.id,
      status: 'converted',
      closedAt: now,
      contactedAt: null,
      opportunity: { ...opportunity, convertedAt: now },
    })
    t.same(await h.lead(lead.id), res.json())
    t.match(await h.events(lead.id, 'lead.converted'), [
      { data: { lead: { id: lead.id, status: 'converted' }, opportunity: { ...opportunity, convertedAt: now } } },
    ])
    t.match(await h.task(taskId), { status: 'completed', completed_at: new Date(now) })
    t.equal((await h.events(lead.id, 'task.completed')).length, 1)
    t.same(await h.load(h.repA), { pending: 0, unworked: 0 })

    const again = await convert(lead.id, opportunity)
    t.equal(again.statusCode, 409, 'converting again')
    t.match(again.json(), { code: 'conflict', leadStatus: 'converted' })
    t.equal((await h.events(lead.id, 'lead.converted')).length, 1)
  })

  t.test('a contacted lead converts', async (t) => {
    const { lead } = await h.accepted()
    await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 201, 'rep', h.repA)
    t.match((await convert(lead.id, {})).json(), { status: 'converted', opportunity: { convertedAt: h.baton.clock.now().toISOString() } })
  })

  t.test('refused', async (t) => {
    const pending = await h.postLead()
    t.match((await convert(pending.lead.id, opportunity, 'admin', undefined)).json(), { status: 409, leadStatus: 'pending_acceptance' })
    const { lead } = await h.accepted()
    const bad = await convert(lead.id, { ...opportunity, currency: 'eur' })
    t.equal(bad.statusCode, 422)
    t.same(pointers(bad), ['/currency'])
    t.equal((await convert(lead.id, opportunity, 'rep', h.repB)).statusCode, 403, 'another rep')
    t.equal((await convert(NOBODY, opportunity, 'admin', undefined)).statusCode, 404)
    t.match(await h.lead(lead.id), { status: 'accepted', opportunity: null })
  })
})

t.test('POST /v1/leads/:id/close', async (t) => {
  const h = await activitiesHarness(t)
  const close = (leadId: string, body: object, role: Role = 'admin', sub?: string) =>
    h.call('POST', `/v1/leads/${leadId}/close`, body, role, sub)
  const { handoffs, unrouted: sweeper } = h.baton.services

  t.test('a pending lead: its handoff is withdrawn', async (t) => {
    const { lead, handoff } = await h.postLead()
    t.same(await h.load(h.repA), { pending: 1, unworked: 0 })
    for (const body of [{}, { reason: '' }]) {
      const res = await close(lead.id, body)
      t.equal(res.statusCode, 422, `reason ${JSON.stringify(body)}`)
      t.same(pointers(res), ['/reason'])
    }
    t.match(await h.lead(lead.id), { status: 'pending_acceptance' }, 'a refused close changes nothing')
    t.equal((await close(lead.id, { reason: 'spam' }, 'rep', h.repA)).statusCode, 403, 'its rep does not own it yet')
    h.baton.clock.advance(MINUTE)
    const now = h.baton.clock.now().toISOString()
    const res = await close(lead.id, { reason: 'Duplicate of a CRM contact' }, 'integration')
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'closed', closeReason: 'Duplicate of a CRM contact', closedAt: now, ownerId: null })
    t.match(await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200), { status: 'cancelled', respondedAt: now })
    t.same(await h.load(h.repA), { pending: 0, unworked: 0 })
    t.match(await h.events(lead.id, 'lead.closed'), [
      {
        data: {
          lead: { id: lead.id, status: 'closed' },
          reason: 'Duplicate of a CRM contact',
          handoff: { id: handoff.id, status: 'cancelled' },
        },
      },
    ])
    h.baton.clock.advance(Date.parse(handoff.deadlineAt) - h.baton.clock.now().getTime() + 1000)
    t.equal(await handoffs.expire(handoff.id), 'not_pending', 'the deadline job finds nothing to do')
    t.match(await h.lead(lead.id), { status: 'closed' })
    t.equal((await h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'rep', h.repA)).statusCode, 409, 'nor can it be accepted')
  })

  t.test('an accepted lead: its task is cancelled, and closing again is 409', async (t) => {
    const { lead, taskId } = await h.accepted()
    t.same(await h.load(h.repA), { pending: 0, unworked: 1 })
    t.equal((await close(lead.id, { reason: 'No budget' }, 'rep', h.repB)).statusCode, 403, 'another rep')
    const res = await close(lead.id, { reason: 'No budget' }, 'rep', h.repA)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'closed', closeReason: 'No budget', ownerId: h.repA })
    t.same(await h.task(taskId), { status: 'cancelled', completed_at: null })
    t.same(await h.events(lead.id, 'task.completed'), [], 'a cancelled task is not completed')
    t.same(await h.load(h.repA), { pending: 0, unworked: 0 })
    const again = await close(lead.id, { reason: 'No budget' })
    t.equal(again.statusCode, 409)
    t.match(again.json(), { leadStatus: 'closed' })
    t.equal((await h.events(lead.id, 'lead.closed')).length, 1)
  })

  t.test("a contacted lead closes without touching anyone else's unworked count", async (t) => {
    const contacted = await h.accepted()
    await h.accepted()
    await h.ok('POST', `/v1/leads/${contacted.lead.id}/activities`, { type: 'call' }, 201, 'rep', h.repA)
    t.same(await h.load(h.repA), { pending: 0, unworked: 1 })
    await h.ok('POST', `/v1/leads/${contacted.lead.id}/close`, { reason: 'Not a fit' }, 200, 'rep', h.repA)
    t.same(await h.load(h.repA), { pending: 0, unworked: 1 }, 'the other accepted lead is still unworked')
  })

  t.test('a converted lead is 409', async (t) => {
    const { lead } = await h.accepted()
    await h.ok('POST', `/v1/leads/${lead.id}/convert`, {}, 200, 'rep', h.repA)
    t.match((await close(lead.id, { reason: 'oops' })).json(), { status: 409, leadStatus: 'converted' })
  })

  t.test('a pending slot freed by closing lets a waiting lead be routed', async (t) => {
    const rep = await h.newRep({ capacity: { maxPending: 1 } })
    await h.routeTo(rep)
    const first = await h.postLead()
    const waiting = await h.postLead()
    t.equal(waiting.lead.status, 'unrouted', 'the rep is at capacity')
    t.match(waiting.routing, { outcome: 'unroutable', retryAt: null }, 'nothing is scheduled for it: only a sweep places it')
    await h.sql("delete from pgboss.job where name = 'routing-sweep'") // as if a worker had run every sweep asked for so far
    await h.ok('POST', `/v1/leads/${first.lead.id}/close`, { reason: 'spam' }, 200)
    const sweeps = await h.sql("select id from pgboss.job where name = 'routing-sweep'")
    t.equal(sweeps.length, 1, 'a routing sweep is asked for, as after a decline or an expiry')
    t.same(await sweeper.sweep(), { tried: 1, assigned: 1 }, 'a sweep would have placed it at once')
    t.match(await h.lead(waiting.lead.id), { status: 'pending_acceptance' })
  })
})

t.test("a lead's timeline tells the whole story in order", async (t) => {
  const h = await activitiesHarness(t)
  const { lead } = await h.accepted()
  h.baton.clock.advance(10 * MINUTE)
  await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'meeting', note: 'Intro call' }, 201, 'rep', h.repA)
  h.baton.clock.advance(24 * 3600_000)
  await h.ok('POST', `/v1/leads/${lead.id}/convert`, { amount: 12000, currency: 'USD' }, 200, 'rep', h.repA)
  const { data } = await h.ok('GET', `/v1/leads/${lead.id}/timeline`, undefined, 200, 'integration')
  t.same(
    data.map((e: { type: string }) => e.type),
    [
      'lead.received',
      'lead.scored',
      'lead.qualified',
      'lead.assigned',
      'handoff.accepted',
      'task.created',
      'lead.contacted',
      'task.completed',
      'lead.converted',
    ],
  )
  const times = data.map((e: { timestamp: string }) => Date.parse(e.timestamp))
  t.same(
    times,
    [...times].sort((a: number, b: number) => a - b),
    'timestamps never go back',
  )
})
