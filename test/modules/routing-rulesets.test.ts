// Publishing rulesets and their versions, what a publish refuses and who may publish;
// the handoff a routed lead gets; and the live ruleset guarding what it names from deletion.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { DEMO, GHOST, MINUTE, PROBLEM, harness, pointers, rep, team } from '../helpers/routing.ts'

t.test('publishing rulesets, and the handoff a routed lead gets', async (t) => {
  const h = await harness(t)
  const { baton, call, sql } = h
  const [ada, bo] = [await h.newRep({ name: 'Ada' }), await h.newRep({ name: 'Bo' })]
  const desk = await h.newTeam([ada, bo])
  const versionCount = async () => (await sql('select count(*)::int as n from routing_rulesets'))[0].n

  t.test('version 1 is the seeded empty ruleset', async (t) => {
    const res = await call('GET', '/v1/routing')
    t.equal(res.statusCode, 200)
    t.match(res.json(), { version: 1, rules: [], fallback: null, createdAt: String })
  })

  t.test('PUT publishes the next version; history newest first, paged by cursor', async (t) => {
    const rules = [
      { name: 'emea', when: { field: 'country', op: 'in', value: ['DE', 'FR'] }, assign: team(desk), acceptWithinSeconds: 600 },
    ]
    const put = await call('PUT', '/v1/routing', { rules, fallback: rep(ada) })
    t.equal(put.statusCode, 200)
    const v2 = put.json()
    t.same(v2, { version: 2, createdAt: baton.clock.now().toISOString(), rules, fallback: rep(ada) })
    t.same((await call('GET', '/v1/routing')).json(), v2, 'the new version is live')

    baton.clock.advance(MINUTE)
    const v3 = (await call('PUT', '/v1/routing', { rules: [], fallback: { type: 'account_owner' } })).json()
    t.match(v3, { version: 3, createdAt: baton.clock.now().toISOString() })
    t.same((await call('GET', '/v1/routing/versions/2')).json(), v2, 'an old version stays readable')
    t.same((await call('GET', '/v1/routing/versions/3')).json(), v3)

    const missing = await call('GET', '/v1/routing/versions/99')
    t.equal(missing.statusCode, 404)
    t.equal(missing.headers['content-type'], PROBLEM)
    t.equal((await call('GET', '/v1/routing/versions/0')).statusCode, 400)

    const pages: unknown[] = []
    let cursor: string | null = null
    do {
      const res: LightMyRequestResponse = await call('GET', `/v1/routing/versions?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      t.equal(res.statusCode, 200)
      t.equal(res.json().data.length, 1)
      pages.push(...res.json().data)
      cursor = res.json().nextCursor
    } while (cursor)
    t.match(
      pages,
      [
        { version: 3, rules: 0, fallback: { type: 'account_owner' }, createdAt: v3.createdAt },
        { version: 2, rules: 1, fallback: rep(ada), createdAt: v2.createdAt },
        { version: 1, rules: 0, fallback: null },
      ],
      'newest first, one per page, the rule count as a summary',
    )
    t.equal(pages.length, 3)
    t.equal((await call('GET', '/v1/routing/versions?cursor=garbage')).statusCode, 400)
  })

  t.test('a ruleset naming missing teams or reps, or with bad conditions, is refused whole', async (t) => {
    const gone = await h.newRep()
    t.equal((await call('DELETE', `/v1/reps/${gone}`)).statusCode, 204)
    const before = await versionCount()
    const live = (await call('GET', '/v1/routing')).json()
    const good = { name: 'good', assign: team(desk) }
    const cases: Array<[string, object, string[]]> = [
      ['unknown team', { rules: [{ name: 'a', assign: team(GHOST) }], fallback: null }, ['/rules/0/assign/teamId']],
      ['deleted rep', { rules: [good, { name: 'b', assign: rep(gone) }], fallback: null }, ['/rules/1/assign/repId']],
      ['unknown rep', { rules: [good, { name: 'b', assign: rep(GHOST) }], fallback: null }, ['/rules/1/assign/repId']],
      ['unknown fallback team', { rules: [good], fallback: team(GHOST) }, ['/fallback/teamId']],
      [
        'unknown condition field',
        { rules: [{ ...good, when: { field: 'colour', op: 'eq', value: 'red' } }], fallback: null },
        ['/rules/0/when/field'],
      ],
      [
        'a number field compared with a string',
        { rules: [{ ...good, when: { field: 'score', op: 'gte', value: '50' } }], fallback: null },
        ['/rules/0/when/value'],
      ],
      ['a deadline under 1 s', { rules: [{ ...good, acceptWithinSeconds: 0 }], fallback: null }, ['/rules/0/acceptWithinSeconds']],
      [
        'duplicate rule names',
        {
          rules: [
            { ...good, name: 'Same' },
            { name: ' same ', assign: rep(ada) },
          ],
          fallback: null,
        },
        ['/rules/1/name'],
      ],
      [
        'several at once',
        {
          rules: [
            { name: 'x', assign: team(GHOST) },
            { name: 'X', assign: rep(gone) },
          ],
          fallback: rep(GHOST),
        },
        ['/fallback/repId', '/rules/0/assign/teamId', '/rules/1/assign/repId', '/rules/1/name'],
      ],
    ]
    for (const [name, body, expected] of cases) {
      const res = await call('PUT', '/v1/routing', body)
      t.equal(res.statusCode, 422, name)
      t.equal(res.headers['content-type'], PROBLEM, `${name}: problem+json`)
      t.equal(res.json().code, 'validation_failed', `${name}: code`)
      t.same(pointers(res), expected, `${name}: pointers`)
    }
    t.equal(await versionCount(), before, 'nothing was published')
    t.same((await call('GET', '/v1/routing')).json(), live, 'the live ruleset is unchanged')
  })

  t.test('only admins publish', async (t) => {
    const before = await versionCount()
    const body = { rules: [], fallback: null }
    t.equal((await call('PUT', '/v1/routing', body, 'rep', ada)).statusCode, 403, 'a rep token')
    t.equal((await call('PUT', '/v1/routing', body, 'integration')).statusCode, 403, 'an integration token')
    t.equal(await versionCount(), before)
    t.equal((await call('GET', '/v1/routing', undefined, 'integration')).statusCode, 403, 'the rules are for admins to read')
    t.equal((await call('POST', '/v1/routing/simulate', { lead: { email: 'a@corp.example' } }, 'rep', ada)).statusCode, 403)
  })

  t.test('a routed lead: pending_acceptance, a handoff with its deadline, events, the trace, the rep load', async (t) => {
    const v = await h.publish([{ name: 'demo desk', when: { field: 'tier', op: 'eq', value: 'demo' }, assign: team(desk) }])
    const loads = { [ada]: await h.pending(ada), [bo]: await h.pending(bo) }
    const now = baton.clock.now()
    const res = await call('POST', '/v1/leads', { email: 'x@acme.example', ...DEMO }, 'integration')
    t.equal(res.statusCode, 201)
    const { lead, handoff, routing } = res.json()
    t.match(lead, { status: 'pending_acceptance', ownerId: null, tier: 'demo' }, 'offered, not yet owned')
    t.ok([ada, bo].includes(handoff.repId), 'a member of the team')
    t.same(
      handoff,
      {
        id: handoff.id,
        leadId: lead.id,
        repId: handoff.repId,
        status: 'pending',
        attempt: 1,
        deadlineAt: new Date(now.getTime() + 1800_000).toISOString(),
        clock: 'working',
        acceptWithinSeconds: 1800,
        reminders: [{ beforeSeconds: 900, at: new Date(now.getTime() + 900_000).toISOString(), sentAt: null }],
        createdAt: now.toISOString(),
        respondedAt: null,
        reason: null,
        routing: { version: v.version, rule: 'demo desk', ruleIndex: 0, teamId: desk },
      },
      'the demo tier gives 1800 s, with a reminder half-way',
    )
    t.match(routing, {
      outcome: 'assigned',
      version: v.version,
      rule: 'demo desk',
      repId: handoff.repId,
      teamId: desk,
      acceptWithinSeconds: 1800,
      retryAt: null,
    })

    const events = await h.events(lead.id)
    t.same(
      events.map((e) => e.type),
      ['lead.received', 'lead.scored', 'lead.qualified', 'lead.assigned'],
    )
    const assigned = events.at(-1).data
    t.same(assigned.handoff, handoff, 'the event carries the handoff')
    t.match(assigned.rep, { id: handoff.repId, name: handoff.repId === ada ? 'Ada' : 'Bo', email: String })
    t.same(assigned.rule, { version: v.version, index: 0, name: 'demo desk' })
    t.match(assigned.lead, { id: lead.id, status: 'pending_acceptance' })

    const [row] = await sql(
      'select lead_id, rep_id, status, ruleset_version, rule_index, rule_name, team_id, assign, trace from handoffs where id = $1',
      [handoff.id],
    )
    t.match(row, {
      lead_id: lead.id,
      rep_id: handoff.repId,
      status: 'pending',
      ruleset_version: v.version,
      rule_index: 0,
      rule_name: 'demo desk',
      team_id: desk,
      assign: team(desk),
    })
    t.match(
      row.trace,
      { version: v.version, steps: [{ rule: 'demo desk', result: 'assigned', team: { id: desk } }] },
      'the row keeps the trace',
    )

    const fetched = await call('GET', `/v1/handoffs/${handoff.id}`)
    t.equal(fetched.statusCode, 200)
    const { trace, workingSecondsLeft, ...rest } = fetched.json()
    t.same(rest, handoff)
    t.equal(workingSecondsLeft, 1800, 'a rep without working hours: all of it is working time')
    t.same(trace, row.trace, 'GET answers the stored trace')
    t.match(trace.steps[0].candidates, [{ eligible: true }, { eligible: true }])
    t.equal((await call('GET', `/v1/handoffs/${GHOST}`)).statusCode, 404)

    t.equal((await call('GET', `/v1/leads/${lead.id}`, undefined, 'integration')).json().status, 'pending_acceptance')
    const other = handoff.repId === ada ? bo : ada
    t.equal(await h.pending(handoff.repId), loads[handoff.repId]! + 1, 'the rep has one more pending')
    t.equal(await h.pending(other), loads[other], 'the other rep is untouched')
  })

  t.test("a rule's acceptWithinSeconds overrides the tier", async (t) => {
    await h.publish([{ name: 'fast', assign: rep(bo), acceptWithinSeconds: 120 }])
    const now = baton.clock.now().getTime()
    const { handoff, routing } = await h.postLead({}, 'acme.example')
    t.equal(handoff.deadlineAt, new Date(now + 120_000).toISOString())
    t.match(routing, { rule: 'fast', repId: bo, teamId: null, acceptWithinSeconds: 120 })
  })

  t.test('a nurtured lead that qualifies when submitted again is routed then', async (t) => {
    const first = await call('POST', '/v1/leads', { email: 'later@acme.example', employees: 60 }, 'integration')
    t.equal(first.statusCode, 201)
    t.match(first.json(), { lead: { status: 'nurture' }, handoff: null, routing: null })
    const again = await call('POST', '/v1/leads', { email: 'later@acme.example', ...DEMO }, 'integration')
    t.equal(again.statusCode, 200)
    const { lead, handoff, routing, duplicate } = again.json()
    t.equal(duplicate, true)
    t.match(lead, { id: first.json().lead.id, status: 'pending_acceptance', ownerId: null })
    t.match(handoff, { leadId: lead.id, repId: bo, attempt: 1, routing: { rule: 'fast' } })
    t.match(routing, { outcome: 'assigned', repId: bo })
    const types = (await h.events(lead.id)).map((e) => e.type)
    t.same(types.slice(-4), ['lead.duplicate', 'lead.scored', 'lead.qualified', 'lead.assigned'])
  })

  t.test('teams and reps the live ruleset names cannot be deleted', async (t) => {
    const [cy, di] = [await h.newRep(), await h.newRep()]
    const named = await h.newTeam([cy])
    await h.publish([
      { name: 'to team', assign: team(named) },
      { name: 'to rep', assign: rep(di) },
    ])
    const { handoff } = await h.postLead()
    t.equal(handoff.repId, cy)
    const refused = await call('DELETE', `/v1/teams/${named}`)
    t.equal(refused.statusCode, 409)
    t.equal(refused.headers['content-type'], PROBLEM)
    t.equal(refused.json().code, 'conflict')
    t.equal((await call('GET', `/v1/teams/${named}`)).statusCode, 200, 'the team stays')
    const repRefused = await call('DELETE', `/v1/reps/${di}`)
    t.equal(repRefused.statusCode, 409)
    t.match(repRefused.json(), { code: 'conflict', conflicts: { routingRules: 1 } })
    t.equal((await call('GET', `/v1/reps/${di}`)).statusCode, 200, 'the rep stays')

    await h.publish([], rep(di))
    t.equal((await call('DELETE', `/v1/teams/${named}`)).statusCode, 204, 'only the live version counts')
    t.match(
      (await call('GET', `/v1/handoffs/${handoff.id}`)).json(),
      { id: handoff.id, routing: { rule: 'to team', teamId: null } },
      'its handoffs stay, without the team',
    )
    t.equal((await call('DELETE', `/v1/reps/${di}`)).statusCode, 409, 'a fallback names the rep too')
    await h.publish([], null)
    t.equal((await call('DELETE', `/v1/reps/${di}`)).statusCode, 204)
  })
})
