import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/app.ts'
import { apiClient } from '../helpers/api.ts'

const NOBODY = '01900000-0000-7000-8000-000000000000'
const MINUTE = 60_000

/**
 * A Baton with ROLE=api (no worker runs a job behind the test's back), two reps, and
 * every lead routed to `routeTo`'s rep. The test runs the overdue job itself.
 */
async function tasksHarness(t: Test) {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  const { call, ok, sql } = apiClient(baton)
  const newRep = async (n: number): Promise<string> =>
    (await ok('POST', '/v1/reps', { name: `Rep ${n}`, email: `rep${n}@baton.example`, timezone: 'UTC' }, 201)).id
  const [repA, repB] = [await newRep(1), await newRep(2)]
  const tasks = baton.services.tasks
  let leads = 0
  const h = {
    baton,
    call,
    ok,
    sql,
    repA,
    repB,
    overdue: (taskId: string) => tasks.overdue(taskId),
    routeTo: (repId: string) => ok('PUT', '/v1/routing', { rules: [{ name: 'all', assign: { type: 'rep', repId } }], fallback: null }, 200),
    /** A demo-tier lead (high with `employees: 600`), pending with its rep; the 201 answer. */
    postLead: async (extra: object = {}) =>
      ok(
        'POST',
        '/v1/leads',
        { email: `lead${++leads}@acme.example`, company: 'Acme', signals: { demoRequested: true }, ...extra },
        201,
        'integration',
      ),
    /** A lead accepted by its rep a minute after it came in; the lead, handoff, its task and when it was accepted. */
    accepted: async (extra: object = {}) => {
      const { lead, handoff } = await h.postLead(extra)
      baton.clock.advance(MINUTE)
      const at = baton.clock.now()
      await ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', handoff.repId)
      const task = (await ok('GET', `/v1/tasks?repId=${handoff.repId}&limit=100`, undefined, 200)).data.find(
        (x: { leadId: string }) => x.leadId === lead.id,
      )
      return { lead, handoff, task, at }
    },
    events: async (leadId: string, type?: string) =>
      sql<{ type: string; data: Record<string, unknown>; created_at: Date }>(
        `select type, data, created_at from events where lead_id = $1 ${type ? 'and type = $2' : ''} order by position`,
        type ? [leadId, type] : [leadId],
      ),
    eventCount: async () => (await sql<{ n: number }>('select count(*)::int as n from events'))[0]!.n,
  }
  await h.routeTo(repA)
  return h
}

t.test('accepting creates exactly one first-contact task, due per tier', async (t) => {
  const h = await tasksHarness(t)
  const iso = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000).toISOString()

  t.test('demo: due 1800 s after acceptance, with task.created and its overdue job', async (t) => {
    const { lead, handoff, task, at } = await h.accepted()
    t.match(task, {
      leadId: lead.id,
      repId: h.repA,
      handoffId: handoff.id,
      kind: 'first_contact',
      title: 'First contact with Acme',
      status: 'open',
      dueAt: iso(at, 1800),
      completedAt: null,
      overdueAt: null,
      createdAt: at.toISOString(),
    })
    const rows = await h.sql('select id from tasks where lead_id = $1', [lead.id])
    t.same(rows, [{ id: task.id }], 'one task row')
    const created = await h.events(lead.id, 'task.created')
    t.equal(created.length, 1)
    t.match(created[0]?.data, { lead: { id: lead.id, status: 'accepted' }, task })
    t.equal(created[0]?.created_at.getTime(), at.getTime())
    const jobs = await h.sql<{ name: string; data: unknown; delay: number }>(
      'select name, data, extract(epoch from start_after - created_on)::int as delay from pgboss.job where id = $1',
      [task.id],
    )
    t.match(jobs, [{ name: 'contact-overdue', data: { taskId: task.id } }], 'a contact-overdue job whose id is the task id')
    t.ok(Math.abs(jobs[0]!.delay - 1800) <= 2, 'starting about 1800 s later')

    t.equal((await h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'rep', h.repA)).statusCode, 200, 'accepting again')
    t.equal((await h.sql('select id from tasks where lead_id = $1', [lead.id])).length, 1, 'makes no second task')
    t.equal((await h.events(lead.id, 'task.created')).length, 1, 'nor a second event')
  })

  t.test('high: due 300 s after acceptance', async (t) => {
    const { lead, task, at } = await h.accepted({ employees: 600 })
    t.equal(lead.tier, 'high')
    t.equal(task.dueAt, iso(at, 300))
  })

  t.test("the scoring model's own firstContact, for leads it scored", async (t) => {
    const before = await h.postLead() // scored by version 1, accepted after the change
    const { version: _v, createdAt: _c, ...model } = await h.ok('GET', '/v1/scoring', undefined, 200)
    await h.ok('PUT', '/v1/scoring', { ...model, firstContact: { high: 120, demo: 600, standard: 900 } }, 200)
    const demo = await h.accepted()
    t.equal(demo.task.dueAt, iso(demo.at, 600))
    const high = await h.accepted({ employees: 600 })
    t.equal(high.task.dueAt, iso(high.at, 120))

    await h.ok('POST', `/v1/handoffs/${before.handoff.id}/accept`, undefined, 200, 'rep', h.repA)
    const [row] = await h.sql<{ due_at: Date; created_at: Date }>('select due_at, created_at from tasks where lead_id = $1', [
      before.lead.id,
    ])
    t.equal(row!.due_at.getTime() - row!.created_at.getTime(), 1800_000, 'a lead scored by the older model keeps its default')
  })
})

t.test('GET /v1/tasks', async (t) => {
  const h = await tasksHarness(t)
  const a1 = await h.accepted()
  h.baton.clock.advance(10 * MINUTE)
  const a2 = await h.accepted()
  h.baton.clock.advance(10 * MINUTE)
  const a3 = await h.accepted()
  await h.routeTo(h.repB)
  const b1 = await h.accepted()
  const ids = (res: { data: Array<{ id: string }> }) => res.data.map((x) => x.id)

  t.test('filters by rep, status and due time, oldest first', async (t) => {
    t.same(
      ids(await h.ok('GET', '/v1/tasks', undefined, 200, 'integration')),
      [a1, a2, a3, b1].map((x) => x.task.id),
      'an integration lists them all',
    )
    t.same(
      ids(await h.ok('GET', `/v1/tasks?repId=${h.repA}`, undefined, 200)),
      [a1, a2, a3].map((x) => x.task.id),
    )
    t.same(ids(await h.ok('GET', `/v1/tasks?dueBefore=${a2.task.dueAt}`, undefined, 200)), [a1.task.id], 'strictly before')
    t.same(
      ids(
        await h.ok(
          'GET',
          `/v1/tasks?dueBefore=${encodeURIComponent(new Date(Date.parse(a3.task.dueAt) + 1).toISOString())}`,
          undefined,
          200,
        ),
      ),
      [a1, a2, a3].map((x) => x.task.id),
    )
    await h.ok('POST', `/v1/tasks/${a2.task.id}/complete`, undefined, 200, 'rep', h.repA)
    t.same(ids(await h.ok('GET', `/v1/tasks?status=completed`, undefined, 200)), [a2.task.id])
    t.same(ids(await h.ok('GET', `/v1/tasks?repId=${h.repA}&status=open`, undefined, 200)), [a1.task.id, a3.task.id])
    t.equal((await h.call('GET', '/v1/tasks?status=done')).statusCode, 400, 'an unknown status')
  })

  t.test('pages with a cursor', async (t) => {
    const first = await h.ok('GET', '/v1/tasks?limit=3', undefined, 200)
    t.same(
      ids(first),
      [a1, a2, a3].map((x) => x.task.id),
    )
    t.type(first.nextCursor, 'string')
    const second = await h.ok('GET', `/v1/tasks?limit=3&cursor=${first.nextCursor}`, undefined, 200)
    t.same(ids(second), [b1.task.id])
    t.equal(second.nextCursor, null)
    t.equal((await h.call('GET', '/v1/tasks?cursor=nonsense')).statusCode, 400)
  })

  t.test('a rep token sees only its own', async (t) => {
    t.same(ids(await h.ok('GET', '/v1/tasks', undefined, 200, 'rep', h.repB)), [b1.task.id])
    t.same(ids(await h.ok('GET', `/v1/tasks?repId=${h.repB}`, undefined, 200, 'rep', h.repB)), [b1.task.id])
    const res = await h.call('GET', `/v1/tasks?repId=${h.repA}`, undefined, 'rep', h.repB)
    t.equal(res.statusCode, 403)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  })
})

t.test('POST /v1/tasks/:id/complete', async (t) => {
  const h = await tasksHarness(t)
  const { lead, task } = await h.accepted()
  const url = `/v1/tasks/${task.id}/complete`

  t.equal((await h.call('POST', url, undefined, 'rep', h.repB)).statusCode, 403, 'another rep')
  t.equal((await h.call('POST', url, undefined, 'integration')).statusCode, 403, 'an integration')
  t.equal((await h.call('POST', `/v1/tasks/${NOBODY}/complete`, undefined, 'rep', h.repA)).statusCode, 404, 'an unknown task')
  t.equal((await h.events(lead.id, 'task.completed')).length, 0, 'none of that completed it')

  h.baton.clock.advance(5 * MINUTE)
  const now = h.baton.clock.now().toISOString()
  const res = await h.call('POST', url, undefined, 'rep', h.repA)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { ...task, status: 'completed', completedAt: now })
  const done = await h.events(lead.id, 'task.completed')
  t.equal(done.length, 1)
  t.match(done[0]?.data, { lead: { id: lead.id }, task: { id: task.id, status: 'completed', completedAt: now } })

  h.baton.clock.advance(MINUTE)
  const before = await h.eventCount()
  const again = await h.call('POST', url, undefined, 'rep', h.repA)
  t.equal(again.statusCode, 200)
  t.same(again.json(), res.json(), 'completing again: the same answer')
  t.equal(await h.eventCount(), before, 'and no second event')
  t.equal(await h.overdue(task.id), 'settled', 'a completed task is never overdue')

  t.test('a task cancelled with its lead is 409', async (t) => {
    const closed = await h.accepted()
    await h.ok('POST', `/v1/leads/${closed.lead.id}/close`, { reason: 'Went with a competitor' }, 200, 'rep', h.repA)
    const res = await h.call('POST', `/v1/tasks/${closed.task.id}/complete`, undefined, 'rep', h.repA)
    t.equal(res.statusCode, 409)
    t.match(res.json(), { status: 409, code: 'conflict', detail: /cancelled/ })
    t.match(await h.ok('GET', `/v1/tasks?status=cancelled`, undefined, 200), { data: [{ id: closed.task.id, completedAt: null }] })
    t.equal(await h.overdue(closed.task.id), 'settled', 'nor is a cancelled one')
  })
})

t.test('the contact-overdue job', async (t) => {
  const h = await tasksHarness(t)

  t.test('a first contact not made in time: lead.contact_overdue, once', async (t) => {
    const { lead, task } = await h.accepted()
    h.baton.clock.advance(29 * MINUTE)
    const before = await h.eventCount()
    t.equal(await h.overdue(task.id), 'early', 'a minute before it is due')
    t.equal(await h.eventCount(), before, 'nothing emitted')
    const rebooked = await h.sql("select id from pgboss.job where name = 'contact-overdue' and data->>'taskId' = $1", [task.id])
    t.equal(rebooked.length, 2, 'a fresh job is booked for the rest')

    h.baton.clock.advance(MINUTE + 90_000)
    const now = h.baton.clock.now().toISOString()
    t.equal(await h.overdue(task.id), 'overdue')
    const overdue = await h.events(lead.id, 'lead.contact_overdue')
    t.equal(overdue.length, 1)
    t.match(overdue[0]?.data, {
      lead: { id: lead.id, status: 'accepted' },
      task: { id: task.id, status: 'open', overdueAt: now },
      overdueBySeconds: 90,
    })
    t.match(await h.ok('GET', `/v1/tasks?repId=${h.repA}`, undefined, 200), { data: [{ id: task.id, status: 'open', overdueAt: now }] })

    h.baton.clock.advance(MINUTE)
    t.equal(await h.overdue(task.id), 'settled', 'run again')
    t.equal((await h.events(lead.id, 'lead.contact_overdue')).length, 1, 'still exactly one')

    // A late first contact still completes the task; the overdue mark stays.
    await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 201, 'rep', h.repA)
    t.match(await h.ok('GET', `/v1/tasks?repId=${h.repA}`, undefined, 200), {
      data: [{ id: task.id, status: 'completed', overdueAt: now }],
    })
  })

  t.test('a first contact made in time: nothing overdue', async (t) => {
    const { lead, task } = await h.accepted()
    h.baton.clock.advance(10 * MINUTE)
    t.match(await h.ok('POST', `/v1/leads/${lead.id}/activities`, { type: 'email' }, 201, 'rep', h.repA), { firstContact: true })
    h.baton.clock.advance(30 * MINUTE)
    t.equal(await h.overdue(task.id), 'settled')
    t.equal((await h.events(lead.id, 'lead.contact_overdue')).length, 0)
  })

  t.test('an unknown task is settled', async (t) => {
    t.equal(await h.overdue(NOBODY), 'settled')
  })
})
