import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'
import { handoffHarness, threeLeadsOf } from '../helpers/handoffs.ts'

const ada = {
  name: 'Ada Lovelace',
  email: 'Ada@Example.com',
  timezone: 'europe/berlin',
  workingHours: {
    mon: [
      { start: '09:00', end: '12:00' },
      { start: '13:00', end: '17:30' },
    ],
    fri: [{ start: '09:00', end: '15:00' }],
  },
  holidays: ['2026-12-25'],
  capacity: { maxPending: 3, maxPerDay: 20 },
  attributes: { territories: ['DE', 'AT'], languages: ['de', 'en'] },
  notificationTargets: [{ kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/x' }],
}

t.test('reps', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')
  const post = async (payload: unknown) => baton.app.inject({ method: 'POST', url: '/v1/reps', headers: admin, payload: payload as object })

  t.test('create normalises and answers the stored rep', async (t) => {
    const res = await post(ada)
    t.equal(res.statusCode, 201)
    const rep = res.json()
    t.match(rep, {
      email: 'ada@example.com',
      timezone: 'Europe/Berlin',
      status: 'available',
      managerId: null,
      capacity: { maxPending: 3, maxPerDay: 20 },
    })
    t.match(rep.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'ids are UUIDv7')
    const fetched = await baton.app.inject({ url: `/v1/reps/${rep.id}`, headers: admin })
    t.same(fetched.json(), rep)
  })

  t.test('defaults: always working, available, no limits', async (t) => {
    const res = await post({ name: 'Bo', email: 'bo@example.com', timezone: 'UTC' })
    t.equal(res.statusCode, 201)
    t.match(res.json(), {
      workingHours: null,
      holidays: [],
      status: 'available',
      capacity: { maxPending: null, maxPerDay: null },
      attributes: {},
      notificationTargets: [],
    })
  })

  t.test('bad inputs are 422 problems that point at the field, and write nothing', async (t) => {
    const before = await baton.deps.pool.query('select count(*)::int as n from reps')
    const cases: Array<[string, object, string[]]> = [
      ['unknown time zone', { ...ada, email: 'x1@example.com', timezone: 'Mars/Olympus' }, ['/timezone']],
      ['UTC offset instead of a zone', { ...ada, email: 'x2@example.com', timezone: '+02:00' }, ['/timezone']],
      [
        'window ending before it starts',
        { ...ada, email: 'x3@example.com', workingHours: { tue: [{ start: '18:00', end: '09:00' }] } },
        ['/workingHours/tue/0'],
      ],
      [
        'overlapping windows',
        {
          ...ada,
          email: 'x4@example.com',
          workingHours: {
            wed: [
              { start: '09:00', end: '12:00' },
              { start: '11:00', end: '14:00' },
            ],
          },
        },
        ['/workingHours/wed/1'],
      ],
      [
        'malformed time',
        { ...ada, email: 'x5@example.com', workingHours: { mon: [{ start: '9am', end: '17:00' }] } },
        ['/workingHours/mon/0/start'],
      ],
      ['unknown weekday', { ...ada, email: 'x6@example.com', workingHours: { monday: [] } }, ['/workingHours/monday']],
      ['impossible holiday', { ...ada, email: 'x7@example.com', holidays: ['2026-02-30'] }, ['/holidays/0']],
      [
        'wrong types',
        { ...ada, email: 'x8@example.com', capacity: { maxPending: '3' }, status: 'busy' },
        ['/capacity/maxPending', '/status'],
      ],
      ['missing required fields', { name: 'No Email' }, ['/email', '/timezone']],
      ['unknown property', { ...ada, email: 'x9@example.com', favouriteColour: 'red' }, ['/favouriteColour']],
      ['unknown manager', { ...ada, email: 'x10@example.com', managerId: '01900000-0000-7000-8000-000000000000' }, ['/managerId']],
    ]
    for (const [name, payload, pointers] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 422, name)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
      const problem = res.json()
      t.equal(problem.code, 'validation_failed', `${name}: code`)
      t.same(problem.errors.map((e: { pointer: string }) => e.pointer).sort(), [...pointers].sort(), `${name}: pointers`)
    }
    const after = await baton.deps.pool.query('select count(*)::int as n from reps')
    t.equal(after.rows[0].n, before.rows[0].n, 'no rep was written')
  })

  t.test('email is unique among live reps: 409', async (t) => {
    const res = await post({ name: 'Twin', email: 'ADA@example.com', timezone: 'UTC' })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'conflict', errors: [{ pointer: '/email' }] })
  })

  t.test('patch changes only what it names', async (t) => {
    const rep = (await post({ ...ada, email: 'patch@example.com' })).json()
    const res = await baton.app.inject({
      method: 'PATCH',
      url: `/v1/reps/${rep.id}`,
      headers: admin,
      payload: { status: 'away', capacity: { maxPerDay: 5 }, workingHours: null },
    })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'away', capacity: { maxPending: 3, maxPerDay: 5 }, workingHours: null, name: ada.name })
    const empty = await baton.app.inject({ method: 'PATCH', url: `/v1/reps/${rep.id}`, headers: admin, payload: {} })
    t.equal(empty.statusCode, 422, 'an empty patch says nothing')
  })

  t.test('management chain: no self-management, no cycles', async (t) => {
    const boss = (await post({ name: 'Boss', email: 'boss@example.com', timezone: 'UTC' })).json()
    const report = (await post({ name: 'Report', email: 'report@example.com', timezone: 'UTC', managerId: boss.id })).json()
    t.equal(report.managerId, boss.id)
    const self = await baton.app.inject({ method: 'PATCH', url: `/v1/reps/${boss.id}`, headers: admin, payload: { managerId: boss.id } })
    t.equal(self.statusCode, 422)
    const cycle = await baton.app.inject({ method: 'PATCH', url: `/v1/reps/${boss.id}`, headers: admin, payload: { managerId: report.id } })
    t.equal(cycle.statusCode, 422)
    t.match(cycle.json().errors[0], { pointer: '/managerId', detail: /cycle/ })

    const refused = await baton.app.inject({ method: 'DELETE', url: `/v1/reps/${boss.id}`, headers: admin })
    t.equal(refused.statusCode, 409, 'a manager cannot be deleted while managing')
    t.match(refused.json(), { conflicts: { directReports: 1, ownedAccounts: 0, managedTeams: 0 } })
  })

  t.test('delete: gone from reads, email reusable, 404 after', async (t) => {
    const rep = (await post({ name: 'Leaver', email: 'leaver@example.com', timezone: 'UTC' })).json()
    const del = await baton.app.inject({ method: 'DELETE', url: `/v1/reps/${rep.id}`, headers: admin })
    t.equal(del.statusCode, 204)
    t.equal((await baton.app.inject({ url: `/v1/reps/${rep.id}`, headers: admin })).statusCode, 404)
    t.equal((await baton.app.inject({ method: 'DELETE', url: `/v1/reps/${rep.id}`, headers: admin })).statusCode, 404)
    t.equal((await post({ name: 'Leaver II', email: 'leaver@example.com', timezone: 'UTC' })).statusCode, 201)
    const row = await baton.deps.pool.query('select deleted_at from reps where id = $1', [rep.id])
    t.ok(row.rows[0].deleted_at, 'the row stays for history')
  })

  t.test('list paginates with an opaque cursor and filters', async (t) => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: Record<string, string> = cursor ? { limit: '2', cursor } : { limit: '2' }
      const res = await baton.app.inject({ url: '/v1/reps', headers: admin, query })
      t.equal(res.statusCode, 200)
      const page = res.json()
      t.ok(page.data.length <= 2)
      seen.push(...page.data.map((r: { id: string }) => r.id))
      cursor = page.nextCursor
    } while (cursor)
    const all = (await baton.app.inject({ url: '/v1/reps?limit=500', headers: admin })).json()
    t.same(
      seen,
      all.data.map((r: { id: string }) => r.id),
      'pages add up to the full list, in order, without repeats',
    )
    t.equal(new Set(seen).size, seen.length)

    const away = (await baton.app.inject({ url: '/v1/reps?status=away', headers: admin })).json()
    t.ok(away.data.length >= 1 && away.data.every((r: { status: string }) => r.status === 'away'))
    const byEmail = (await baton.app.inject({ url: '/v1/reps?email=ADA@example.com', headers: admin })).json()
    t.equal(byEmail.data.length, 1)

    for (const bad of ['limit=0', 'limit=501', 'limit=ten', 'cursor=garbage', 'colour=red']) {
      const res = await baton.app.inject({ url: `/v1/reps?${bad}`, headers: admin })
      t.equal(res.statusCode, 400, bad)
      t.equal(res.json().errors[0].in, 'query', `${bad}: points into the query`)
    }
  })

  t.test('unknown and malformed ids', async (t) => {
    t.equal((await baton.app.inject({ url: '/v1/reps/01900000-0000-7000-8000-000000000000', headers: admin })).statusCode, 404)
    const bad = await baton.app.inject({ url: '/v1/reps/not-a-uuid', headers: admin })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ in: 'path', pointer: '/id' }])
  })
})

t.test('DELETE ?handBack=open: what the rep holds moves on, then the rep goes', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  const leaving = repIds[0]!
  const theirs = await threeLeadsOf(h, leaving)
  const { contacted, pending } = theirs

  const res = await h.call('DELETE', `/v1/reps/${leaving}?handBack=open`)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: leaving, deleted: true, handedBack: { pending: 1, leads: 2 } }, 'the offer and both owned leads')
  for (const { lead } of Object.values(theirs)) t.not((await h.lead(lead.id)).ownerId, leaving, 'the deleted rep owns none of them')
  t.not((await h.pendingOf(pending.lead.id))?.repId, leaving, 'its offer waits for someone else')
  const [moved] = (await h.events(contacted.lead.id)).filter((e) => e.type === 'lead.reassigned')
  t.match(moved!.data, { actor: { type: 'admin' }, reason: 'handed back', from: { id: leaving } })
  t.equal((await h.call('GET', `/v1/reps/${leaving}`)).statusCode, 404)
  t.equal((await h.call('DELETE', `/v1/reps/${leaving}?handBack=open`)).statusCode, 404, 'gone: a second DELETE is 404')
  t.equal((await h.call('DELETE', `/v1/reps/${repIds[1]}?handBack=open`)).statusCode, 200, 'a rep holding offers only')
})

t.test('DELETE ?handBack: other values are 400; what a hand-back cannot move is 409, and nothing moves', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(1)
  const leaving = repIds[0]!
  const { handoff } = await h.postLead()
  for (const value of ['pending', 'unworked', 'OPEN', '']) {
    const res = await h.call('DELETE', `/v1/reps/${leaving}?handBack=${value}`)
    t.match([res.statusCode, res.json().errors?.[0]], [400, { in: 'query', pointer: '/handBack' }], `handBack=${value}`)
  }
  const plain = await h.call('DELETE', `/v1/reps/${leaving}`)
  t.match([plain.statusCode, plain.json()], [409, { conflicts: { pendingOffers: 1 } }], 'without it: still the 409')
  await h.newRep({ managerId: leaving })
  const managing = await h.call('DELETE', `/v1/reps/${leaving}?handBack=open`)
  t.match([managing.statusCode, managing.json()], [409, { conflicts: { directReports: 1, pendingOffers: 1 } }], 'a manager: 409')
  t.match(await h.pendingOf(handoff.leadId), { id: handoff.id, repId: leaving }, 'and the offer still waits for the rep')
})

t.test('DELETE ?handBack=open racing new leads: the deleted rep is left with no offer', async (t) => {
  const h = await handoffHarness(t)
  for (let round = 0; round < 5; round++) {
    const { repIds } = await h.setup(2)
    const leaving = repIds[round % 2]!
    const [deleted, ...posted] = await Promise.all([
      h.call('DELETE', `/v1/reps/${leaving}?handBack=open`),
      ...Array.from({ length: 8 }, () => h.postLead()),
    ])
    t.equal(deleted.statusCode, 200, `round ${round}: deleted (${JSON.stringify(deleted.json().handedBack)} moved)`)
    t.equal(posted.length, 8)
    const held = await h.sql("select id from handoffs where rep_id = $1 and status = 'pending'", [leaving])
    const owned = await h.sql("select id from leads where owner_id = $1 and status in ('accepted', 'contacted')", [leaving])
    t.same([held.length, owned.length], [0, 0], 'no pending offer, no open lead')
    t.same(await h.load(leaving), { pending: 0, unworked: 0, expired_in_row: 0 }, 'its load adds up')
  }
})
