import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../helpers/app.ts'

const GHOST = '01900000-0000-7000-8000-000000000000'

interface Member {
  repId: string
  weight: number
  joinedAt: string
}

const byRep = (members: Member[]) => [...members].sort((a, b) => a.repId.localeCompare(b.repId))
const pointers = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer).sort()

t.test('teams', async (t) => {
  const baton = await buildTestApp(t)
  // Signed afresh for each request: tests move the clock by hours, past a token's lifetime.
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, query?: Record<string, string>) =>
    baton.app.inject({
      method,
      url,
      headers: await baton.auth('admin'),
      ...(payload === undefined ? {} : { payload }),
      ...(query ? { query } : {}),
    })
  const post = (payload: object) => call('POST', '/v1/teams', payload)
  const patch = (id: string, payload: object) => call('PATCH', `/v1/teams/${id}`, payload)
  const count = async (sql: string, params: unknown[] = []) => (await baton.deps.pool.query<{ n: number }>(sql, params)).rows[0]!.n

  let reps = 0
  /** A fresh live rep; its id. */
  const newRep = async (): Promise<string> => {
    reps++
    const res = await call('POST', '/v1/reps', { name: `Rep ${reps}`, email: `rep${reps}@example.com`, timezone: 'UTC' })
    if (res.statusCode !== 201) throw new Error(`could not create a rep: ${res.body}`)
    return res.json().id
  }
  let teams = 0
  /** A fresh team with these members; the team as answered. */
  const newTeam = async (members: Array<{ repId: string; weight?: number }>, extra: object = {}) => {
    teams++
    const res = await post({ name: `Team ${teams}`, strategy: 'round_robin', members, ...extra })
    if (res.statusCode !== 201) throw new Error(`could not create a team: ${res.body}`)
    return res.json()
  }

  t.test('create stores the members with their weights; get answers the same team', async (t) => {
    const [ada, bo, boss] = [await newRep(), await newRep(), await newRep()]
    const now = baton.clock.now().toISOString()
    const res = await post({
      name: '  Inbound EMEA ',
      strategy: 'weighted',
      members: [{ repId: ada, weight: 3 }, { repId: bo }],
      managerId: boss,
    })
    t.equal(res.statusCode, 201)
    const team = res.json()
    t.match(team, { name: 'Inbound EMEA', strategy: 'weighted', managerId: boss, createdAt: now, updatedAt: now })
    t.match(team.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'ids are UUIDv7')
    t.same(
      byRep(team.members),
      byRep([
        { repId: ada, weight: 3, joinedAt: now },
        { repId: bo, weight: 1, joinedAt: now },
      ]),
      'weight defaults to 1; each member has a join date',
    )

    const fetched = await call('GET', `/v1/teams/${team.id}`)
    t.equal(fetched.statusCode, 200)
    t.same(fetched.json(), team)

    const { rows } = await baton.deps.pool.query('select rep_id, weight from team_members where team_id = $1 order by weight', [team.id])
    t.same(
      rows,
      [
        { rep_id: bo, weight: 1 },
        { rep_id: ada, weight: 3 },
      ],
      'one row per member',
    )

    const plain = await post({ name: 'No manager', strategy: 'least_loaded', members: [{ repId: ada }] })
    t.equal(plain.statusCode, 201)
    t.equal(plain.json().managerId, null, 'managerId is optional')
  })

  t.test('patch changes name, strategy and manager, and only those', async (t) => {
    const [ada, boss, newBoss] = [await newRep(), await newRep(), await newRep()]
    const team = await newTeam([{ repId: ada, weight: 4 }], { managerId: boss })
    baton.clock.advance(60_000)

    const res = await patch(team.id, { name: 'Renamed', strategy: 'least_loaded', managerId: newBoss })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      id: team.id,
      name: 'Renamed',
      strategy: 'least_loaded',
      managerId: newBoss,
      createdAt: team.createdAt,
      updatedAt: baton.clock.now().toISOString(),
    })
    t.same(res.json().members, team.members, 'members untouched when not named')

    const cleared = await patch(team.id, { managerId: null })
    t.equal(cleared.statusCode, 200)
    t.match(cleared.json(), { managerId: null, name: 'Renamed', strategy: 'least_loaded' })
    t.same((await call('GET', `/v1/teams/${team.id}`)).json(), cleared.json(), 'the change is stored')

    const empty = await patch(team.id, {})
    t.equal(empty.statusCode, 422, 'an empty patch says nothing')
    t.equal((await patch(GHOST, { name: 'Nobody' })).statusCode, 404)
  })

  t.test('patch members replaces the list; members who stay keep their join date', async (t) => {
    const [ada, bo, cy] = [await newRep(), await newRep(), await newRep()]
    const t0 = baton.clock.now().toISOString()
    const team = await newTeam([{ repId: ada, weight: 2 }, { repId: bo }])

    baton.clock.advance(3_600_000)
    const t1 = baton.clock.now().toISOString()
    const first = await patch(team.id, { members: [{ repId: bo, weight: 5 }, { repId: cy }] })
    t.equal(first.statusCode, 200)
    t.same(
      byRep(first.json().members),
      byRep([
        { repId: bo, weight: 5, joinedAt: t0 },
        { repId: cy, weight: 1, joinedAt: t1 },
      ]),
      'ada left, bo stays with a new weight, cy joins now',
    )

    baton.clock.advance(3_600_000)
    const t2 = baton.clock.now().toISOString()
    const second = await patch(team.id, { members: [{ repId: cy, weight: 7 }, { repId: bo, weight: 5 }, { repId: ada }] })
    t.equal(second.statusCode, 200)
    t.same(
      byRep(second.json().members),
      byRep([
        { repId: bo, weight: 5, joinedAt: t0 },
        { repId: cy, weight: 7, joinedAt: t1 },
        { repId: ada, weight: 1, joinedAt: t2 },
      ]),
      'reordering keeps join dates; a rep who comes back joins anew',
    )
    t.same((await call('GET', `/v1/teams/${team.id}`)).json().members, second.json().members, 'the list is stored')
    t.equal(await count('select count(*)::int as n from team_members where team_id = $1', [team.id]), 3)

    const emptied = await patch(team.id, { members: [] })
    t.equal(emptied.statusCode, 200)
    t.same(emptied.json().members, [], 'an empty list removes everyone')
    t.equal(await count('select count(*)::int as n from team_members where team_id = $1', [team.id]), 0)
  })

  t.test('team names are unique whatever their case: 409 pointing at /name', async (t) => {
    const ada = await newRep()
    t.equal((await post({ name: 'Outbound', strategy: 'round_robin', members: [{ repId: ada }] })).statusCode, 201)
    const teamsBefore = await count('select count(*)::int as n from teams')
    const membersBefore = await count('select count(*)::int as n from team_members')

    for (const name of ['OUTBOUND', ' outbound ']) {
      const res = await post({ name, strategy: 'weighted', members: [{ repId: ada }] })
      t.equal(res.statusCode, 409, `${JSON.stringify(name)} is taken`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json(), { code: 'conflict', errors: [{ in: 'body', pointer: '/name' }] })
    }
    t.equal(await count('select count(*)::int as n from teams'), teamsBefore, 'no team was written')
    t.equal(await count('select count(*)::int as n from team_members'), membersBefore, 'no membership was written')

    const other = await newTeam([{ repId: ada }])
    const renamed = await patch(other.id, { name: 'outBound', members: [] })
    t.equal(renamed.statusCode, 409, 'renaming onto a taken name')
    t.match(renamed.json(), { code: 'conflict', errors: [{ pointer: '/name' }] })
    t.same((await call('GET', `/v1/teams/${other.id}`)).json(), other, 'the refused patch changed nothing, members included')

    const sameName = await patch(other.id, { name: other.name.toUpperCase() })
    t.equal(sameName.statusCode, 200, 'a team may change the case of its own name')
  })

  t.test('bad inputs are 422 problems that point at the field, and write nothing', async (t) => {
    const [ada, bo, gone] = [await newRep(), await newRep(), await newRep()]
    t.equal((await call('DELETE', `/v1/reps/${gone}`)).statusCode, 204)
    const valid = { strategy: 'round_robin', members: [{ repId: ada }, { repId: bo }] }
    const teamsBefore = await count('select count(*)::int as n from teams')
    const membersBefore = await count('select count(*)::int as n from team_members')

    const cases: Array<[string, object, string[]]> = [
      ['unknown rep in members', { ...valid, name: 'x1', members: [{ repId: ada }, { repId: GHOST }] }, ['/members/1/repId']],
      ['deleted rep in members', { ...valid, name: 'x2', members: [{ repId: gone }] }, ['/members/0/repId']],
      [
        'the same rep twice',
        { ...valid, name: 'x3', members: [{ repId: ada }, { repId: bo }, { repId: ada, weight: 2 }] },
        ['/members/2/repId'],
      ],
      ['unknown manager', { ...valid, name: 'x4', managerId: GHOST }, ['/managerId']],
      ['deleted manager', { ...valid, name: 'x5', managerId: gone }, ['/managerId']],
      ['unknown strategy', { ...valid, name: 'x6', strategy: 'random' }, ['/strategy']],
      ['weight 0', { ...valid, name: 'x7', members: [{ repId: ada, weight: 0 }] }, ['/members/0/weight']],
      ['weight 101', { ...valid, name: 'x8', members: [{ repId: ada }, { repId: bo, weight: 101 }] }, ['/members/1/weight']],
      ['weight as a string', { ...valid, name: 'x9', members: [{ repId: ada, weight: '2' }] }, ['/members/0/weight']],
      ['fractional weight', { ...valid, name: 'x10', members: [{ repId: ada, weight: 1.5 }] }, ['/members/0/weight']],
      ['empty name', { ...valid, name: '' }, ['/name']],
      ['blank name', { ...valid, name: '   ' }, ['/name']],
      ['repId not a uuid', { ...valid, name: 'x11', members: [{ repId: 'ada' }] }, ['/members/0/repId']],
      ['unknown property', { ...valid, name: 'x12', colour: 'red' }, ['/colour']],
      ['unknown property in a member', { ...valid, name: 'x13', members: [{ repId: ada, role: 'lead' }] }, ['/members/0/role']],
      ['missing required fields', { name: 'x14' }, ['/members', '/strategy']],
      [
        'several problems at once',
        { name: 'x15', strategy: 'round_robin', members: [{ repId: GHOST }, { repId: ada }, { repId: ada }], managerId: GHOST },
        ['/managerId', '/members/0/repId', '/members/2/repId'],
      ],
    ]
    for (const [name, payload, expected] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 422, name)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
      const problem = res.json()
      t.equal(problem.code, 'validation_failed', `${name}: code`)
      t.ok(
        problem.errors.every((e: { in: string; detail: string }) => e.in === 'body' && e.detail.length > 0),
        `${name}: each error says where and what`,
      )
      t.same(pointers(res), [...expected].sort(), `${name}: pointers`)
    }

    const team = await newTeam([{ repId: ada, weight: 3 }])
    const patches: Array<[string, object, string[]]> = [
      ['unknown rep in members', { members: [{ repId: bo }, { repId: GHOST }] }, ['/members/1/repId']],
      ['the same rep twice', { members: [{ repId: bo }, { repId: bo }] }, ['/members/1/repId']],
      ['weight 0', { members: [{ repId: bo, weight: 0 }] }, ['/members/0/weight']],
      ['unknown manager', { managerId: GHOST, name: 'Changed' }, ['/managerId']],
      ['blank name', { name: ' ', strategy: 'weighted' }, ['/name']],
      ['unknown property', { members: [{ repId: bo }], colour: 'red' }, ['/colour']],
    ]
    for (const [name, payload, expected] of patches) {
      const res = await patch(team.id, payload)
      t.equal(res.statusCode, 422, `patch: ${name}`)
      t.same(pointers(res), expected, `patch: ${name}: pointers`)
    }
    t.same((await call('GET', `/v1/teams/${team.id}`)).json(), team, 'refused patches changed nothing')

    t.equal(await count('select count(*)::int as n from teams'), teamsBefore + 1, 'no team was written but the valid one')
    t.equal(await count('select count(*)::int as n from team_members'), membersBefore + 1, 'no membership was written but the valid one')
  })

  t.test('list paginates with an opaque cursor and filters by rep', async (t) => {
    const [ada, bo] = [await newRep(), await newRep()]
    const withAda = [(await newTeam([{ repId: ada }])).id, (await newTeam([{ repId: bo }, { repId: ada, weight: 9 }])).id]
    await newTeam([{ repId: bo }])

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: Record<string, string> = cursor ? { limit: '2', cursor } : { limit: '2' }
      const res = await call('GET', '/v1/teams', undefined, query)
      t.equal(res.statusCode, 200)
      const page = res.json()
      t.ok(page.data.length <= 2)
      seen.push(...page.data.map((team: { id: string }) => team.id))
      cursor = page.nextCursor
    } while (cursor)
    const all = (await call('GET', '/v1/teams?limit=500')).json()
    t.equal(all.nextCursor, null)
    t.same(
      seen,
      all.data.map((team: { id: string }) => team.id),
      'pages add up to the full list, in order, without repeats',
    )
    t.equal(new Set(seen).size, seen.length)
    t.ok(
      all.data.every((team: { members: unknown[] }) => Array.isArray(team.members)),
      'listed teams carry their members',
    )

    const filtered = await call('GET', `/v1/teams?repId=${ada}`)
    t.equal(filtered.statusCode, 200)
    t.same(
      filtered.json().data.map((team: { id: string }) => team.id),
      withAda,
      'exactly the teams ada belongs to',
    )
    const second = filtered.json().data[1]
    t.same(
      byRep(second.members).map((m: Member) => m.repId),
      [ada, bo].sort(),
      'a filtered team still lists all its members',
    )

    const filteredPage = (await call('GET', `/v1/teams?repId=${ada}&limit=1`)).json()
    t.equal(filteredPage.data.length, 1)
    const next = (await call('GET', `/v1/teams?repId=${ada}&limit=1&cursor=${filteredPage.nextCursor}`)).json()
    t.same(
      next.data.map((team: { id: string }) => team.id),
      [withAda[1]],
      'the filter holds across pages',
    )
    t.equal(next.nextCursor, null)

    t.same((await call('GET', `/v1/teams?repId=${GHOST}`)).json(), { data: [], nextCursor: null })

    for (const bad of ['repId=ada', 'limit=0', 'limit=501', 'cursor=garbage', 'colour=red']) {
      const res = await call('GET', `/v1/teams?${bad}`)
      t.equal(res.statusCode, 400, bad)
      t.equal(res.json().errors[0].in, 'query', `${bad}: points into the query`)
    }
  })

  t.test('delete: 204, then 404, and the memberships go with the team', async (t) => {
    const [ada, bo] = [await newRep(), await newRep()]
    const team = await newTeam([{ repId: ada }, { repId: bo }])
    const del = await call('DELETE', `/v1/teams/${team.id}`)
    t.equal(del.statusCode, 204)
    t.equal(del.body, '')
    t.equal((await call('GET', `/v1/teams/${team.id}`)).statusCode, 404)
    t.equal((await call('DELETE', `/v1/teams/${team.id}`)).statusCode, 404)
    t.equal((await patch(team.id, { name: 'Zombie' })).statusCode, 404)
    t.equal(await count('select count(*)::int as n from teams where id = $1', [team.id]), 0)
    t.equal(await count('select count(*)::int as n from team_members where team_id = $1', [team.id]), 0, 'no membership left behind')
    t.equal((await call('GET', `/v1/reps/${ada}`)).statusCode, 200, 'the members themselves stay')
    t.equal((await post({ name: team.name, strategy: 'round_robin', members: [] })).statusCode, 201, 'the name is free again')
  })

  t.test('unknown and malformed ids', async (t) => {
    t.equal((await call('GET', `/v1/teams/${GHOST}`)).statusCode, 404)
    t.equal((await call('DELETE', `/v1/teams/${GHOST}`)).statusCode, 404)
    const bad = await call('GET', '/v1/teams/not-a-uuid')
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ in: 'path', pointer: '/id' }])
  })

  t.test('a deleted rep leaves every team it was in', async (t) => {
    const [leaver, stayer] = [await newRep(), await newRep()]
    const both = await newTeam([{ repId: leaver, weight: 2 }, { repId: stayer }])
    const alone = await newTeam([{ repId: leaver }])
    t.equal((await call('DELETE', `/v1/reps/${leaver}`)).statusCode, 204)

    const after = (await call('GET', `/v1/teams/${both.id}`)).json()
    t.same(
      after.members.map((m: Member) => m.repId),
      [stayer],
      'only the rep who stays is listed',
    )
    t.same(
      after.members[0],
      both.members.find((m: Member) => m.repId === stayer),
      'the other member is untouched',
    )
    t.same((await call('GET', `/v1/teams/${alone.id}`)).json().members, [], 'a team can be left empty')
    t.same((await call('GET', `/v1/teams?repId=${leaver}`)).json().data, [], 'the deleted rep is in no team')
    t.equal(await count('select count(*)::int as n from team_members where rep_id = $1', [leaver]), 0)
  })

  t.test('a rep who manages a team cannot be deleted', async (t) => {
    const [manager, member] = [await newRep(), await newRep()]
    const team = await newTeam([{ repId: member }], { managerId: manager })
    const refused = await call('DELETE', `/v1/reps/${manager}`)
    t.equal(refused.statusCode, 409)
    t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(refused.json(), { code: 'conflict', conflicts: { managedTeams: 1, ownedAccounts: 0, directReports: 0 } })
    t.equal((await call('GET', `/v1/reps/${manager}`)).statusCode, 200, 'the manager is still there')
    t.equal((await call('GET', `/v1/teams/${team.id}`)).json().managerId, manager, 'and still manages the team')

    t.equal((await patch(team.id, { managerId: null })).statusCode, 200)
    t.equal((await call('DELETE', `/v1/reps/${manager}`)).statusCode, 204, 'once the team is handed over, the rep can go')
  })

  t.test('deleting a rep while a team that lists it is written never leaves a membership of a deleted rep', async (t) => {
    for (let round = 0; round < 8; round++) {
      const [victim, stayer] = [await newRep(), await newRep()]
      const existing = await newTeam([{ repId: stayer }])
      const deleteRep = () => call('DELETE', `/v1/reps/${victim}`)
      const createTeam = () => post({ name: `Race ${round}`, strategy: 'round_robin', members: [{ repId: stayer }, { repId: victim }] })
      const addToTeam = () => patch(existing.id, { members: [{ repId: stayer }, { repId: victim }] })
      // Alternate who is sent first, so both orders get their chance.
      const [del, created, patched] =
        round % 2 === 0
          ? await Promise.all([deleteRep(), createTeam(), addToTeam()])
          : await Promise.all([createTeam(), addToTeam(), deleteRep()]).then(([c, p, d]) => [d, c, p] as const)

      t.equal(del.statusCode, 204, `round ${round}: the rep is deleted`)
      t.ok([201, 422].includes(created.statusCode), `round ${round}: create is 201 or 422, got ${created.statusCode}`)
      t.ok([200, 422].includes(patched.statusCode), `round ${round}: patch is 200 or 422, got ${patched.statusCode}`)
      if (created.statusCode === 422) t.same(pointers(created), ['/members/1/repId'], `round ${round}: create refused for the deleted rep`)
      if (patched.statusCode === 422) t.same(pointers(patched), ['/members/1/repId'], `round ${round}: patch refused for the deleted rep`)

      if (created.statusCode === 201) {
        const team = (await call('GET', `/v1/teams/${created.json().id}`)).json()
        t.same(
          team.members.map((m: Member) => m.repId),
          [stayer],
          `round ${round}: the created team lost the deleted rep`,
        )
      }
      const updated = (await call('GET', `/v1/teams/${existing.id}`)).json()
      t.same(
        updated.members.map((m: Member) => m.repId),
        [stayer],
        `round ${round}: the patched team does not list the deleted rep`,
      )
    }
    const dangling = await count(
      'select count(*)::int as n from team_members tm join reps r on r.id = tm.rep_id where r.deleted_at is not null',
    )
    t.equal(dangling, 0, 'no membership points at a deleted rep')
  })
})
