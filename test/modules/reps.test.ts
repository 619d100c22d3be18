import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

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
