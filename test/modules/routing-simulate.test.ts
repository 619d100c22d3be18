// POST /v1/routing/simulate: a lead or a draft ruleset tried without writing anything,
// replayed against recent leads, and agreeing with what POST /v1/leads then does.
import t from 'tap'
import { DEMO, GHOST, NINE_TO_FIVE, PROBLEM, harness, pointers, rep, team } from '../helpers/routing.ts'

t.test('POST /v1/routing/simulate', async (t) => {
  // Monday 17:00 UTC: 18:00 in Berlin, after hours.
  const h = await harness(t, '2026-01-05T17:00:00Z')
  const { baton, call, sql } = h
  const simulate = (body: object) => call('POST', '/v1/routing/simulate', body)
  const ann = await h.newRep({ name: 'Ann', status: 'away' })
  const ben = await h.newRep({ name: 'Ben', timezone: 'Europe/Berlin', workingHours: NINE_TO_FIVE })
  const fay = await h.newRep({ name: 'Fay', capacity: { maxPending: 1 } })
  const [r1, r2] = [await h.newRep(), await h.newRep()]
  const specialists = await h.newTeam([ann, ben, fay])
  const rotation = await h.newTeam([r1, r2])
  await h.publish([{ name: 'fill fay', assign: rep(fay) }])
  t.equal((await h.postLead()).handoff.repId, fay)
  const live = await h.publish([
    { name: 'fintech', when: { field: 'industry', op: 'eq', value: 'fintech' }, assign: team(specialists) },
    { name: 'rotation', assign: team(rotation) },
  ])
  const fintech = { email: 'sim@corp.example', industry: 'fintech', ...DEMO }

  t.test('a lead: the decision, every rule tried and why each rep was or was not eligible', async (t) => {
    const res = await simulate({ lead: fintech })
    t.equal(res.statusCode, 200)
    const { decision, qualified, trace } = res.json()
    t.equal(qualified, true)
    t.match(decision, {
      outcome: 'assigned',
      version: live.version,
      rule: 'rotation',
      teamId: rotation,
      acceptWithinSeconds: 1800,
      retryAt: null,
    })
    t.ok([r1, r2].includes(decision.repId))
    t.match(trace.steps[0], {
      index: 0,
      rule: 'fintech',
      matched: true,
      result: 'nobody_eligible',
      team: { id: specialists },
      conditions: [{ matched: true }],
    })
    const reasons = Object.fromEntries(trace.steps[0].candidates.map((c: { repId: string; reason: string }) => [c.repId, c.reason]))
    t.same(reasons, { [ann]: 'away', [ben]: 'outside working hours 09:00–17:00 Europe/Berlin', [fay]: 'at capacity 1/1' })
    t.equal(
      trace.steps[0].candidates.find((c: { repId: string }) => c.repId === ben).opensAt,
      '2026-01-06T08:00:00.000Z',
      'Tuesday 09:00 in Berlin',
    )
    t.match(trace.steps[1], { rule: 'rotation', result: 'assigned', turn: { order: [decision.repId] } })

    const other = (await simulate({ lead: { ...fintech, industry: 'retail' } })).json()
    t.match(other.trace.steps[0], { rule: 'fintech', matched: false, result: 'not_matched' }, 'a rule that did not match is shown too')
  })

  t.test('a draft is tried instead of the live rules', async (t) => {
    const draft = { rules: [{ name: 'ben only', assign: rep(ben) }], fallback: rep(r2) }
    const { decision, trace } = (await simulate({ lead: fintech, ruleset: draft })).json()
    t.match(decision, { outcome: 'assigned', version: null, rule: 'fallback', repId: r2, teamId: null })
    t.match(trace, {
      version: null,
      steps: [{ rule: 'ben only', candidates: [{ reason: 'outside working hours 09:00–17:00 Europe/Berlin' }] }, { rule: 'fallback' }],
    })

    const waiting = (await simulate({ lead: fintech, ruleset: { rules: draft.rules, fallback: null } })).json()
    t.match(waiting.decision, { outcome: 'unroutable', version: null, repId: null, retryAt: '2026-01-06T08:00:00.000Z' })
  })

  t.test('a lead that does not qualify is not routed', async (t) => {
    const { decision, qualified } = (await simulate({ lead: { email: 'someone@gmail.com', ...DEMO } })).json()
    t.equal(qualified, false)
    t.match(decision, { outcome: 'not_routed', version: live.version, repId: null, rule: null })
  })

  t.test('bad drafts and bad leads are 422 with pointers into the body', async (t) => {
    const bad = {
      rules: [
        { name: 'a', assign: team(GHOST) },
        { name: 'b', when: { field: 'colour', op: 'eq', value: 1 }, assign: rep(r1) },
      ],
      fallback: rep(GHOST),
    }
    const expected = ['/ruleset/fallback/repId', '/ruleset/rules/0/assign/teamId', '/ruleset/rules/1/when/field']
    const draft = await simulate({ lead: fintech, ruleset: bad })
    t.equal(draft.statusCode, 422)
    t.equal(draft.headers['content-type'], PROBLEM)
    t.same(pointers(draft), expected)
    const replay = await simulate({ ruleset: bad, replay: { last: 5 } })
    t.equal(replay.statusCode, 422)
    t.same(pointers(replay), expected, 'replay too')
    const lead = await simulate({ lead: { email: 'nobody', country: '1A' } })
    t.equal(lead.statusCode, 422)
    t.same(pointers(lead), ['/lead/country', '/lead/email'])

    // What the JSON schema refuses, and what makes no sense together, points into the body too.
    const schemaRefused: Array<[string, object, string[]]> = [
      ['a lead without email', { lead: { country: 'DE' } }, ['/lead/email']],
      [
        'a draft with a deadline under 1 s',
        { lead: fintech, ruleset: { rules: [{ name: 'a', assign: rep(r1), acceptWithinSeconds: 0 }], fallback: null } },
        ['/ruleset/rules/0/acceptWithinSeconds'],
      ],
      ['replay of 0 leads', { ruleset: { rules: [], fallback: null }, replay: { last: 0 } }, ['/replay/last']],
      ['a replay without a draft', { replay: { last: 3 } }, ['/ruleset']],
      ['a lead and a replay', { lead: fintech, ruleset: { rules: [], fallback: null }, replay: { last: 3 } }, ['/replay']],
      ['neither', {}, ['/lead']],
    ]
    for (const [name, body, expected] of schemaRefused) {
      const res = await simulate(body)
      t.equal(res.statusCode, 422, `${name}: 422`)
      t.same(pointers(res), expected, `${name}: pointers`)
    }
  })

  const posted: Array<{ leadId: string; repId: string }> = []
  t.test('the simulated decision is what POST /v1/leads then does', async (t) => {
    for (let i = 0; i < 6; i++) {
      baton.clock.advance(1000)
      const lead = { email: `twin${i}@corp.example`, ...DEMO }
      const { decision, trace } = (await simulate({ lead })).json()
      const { handoff, routing } = await h.ok('POST', '/v1/leads', lead, 201, 'integration')
      const stored = (await call('GET', `/v1/handoffs/${handoff.id}`)).json().trace
      t.equal(stored.steps.at(-1).turn.number, trace.steps.at(-1).turn.number, `lead ${i}: the turn simulate peeked is the one taken`)
      t.equal(handoff.repId, decision.repId, `lead ${i}: same rep`)
      t.equal(routing.rule, decision.rule, `lead ${i}: same rule`)
      t.equal(handoff.routing.teamId, decision.teamId, `lead ${i}: same team`)
      posted.push({ leadId: handoff.leadId, repId: handoff.repId })
    }
    t.same(new Set(posted.map((p) => p.repId)), new Set([r1, r2]), 'the rotation turns')
  })

  t.test('replay: a draft against the last N leads, with what changed', async (t) => {
    const res = await simulate({ ruleset: { rules: [{ name: 'all to r2', assign: rep(r2) }], fallback: null }, replay: { last: 4 } })
    t.equal(res.statusCode, 200)
    const { replay, data } = res.json()
    const last4 = posted.slice(-4)
    t.same(
      data.map((d: { leadId: string }) => d.leadId),
      last4.map((p) => p.leadId),
      'the last 4 leads, oldest first',
    )
    data.forEach((d: { before: object; after: object }, i: number) => {
      t.same(d.before, { repId: last4[i]!.repId, rule: 'rotation', version: live.version }, `lead ${i}: before is its first handoff`)
      t.match(d.after, { outcome: 'assigned', version: null, rule: 'all to r2', repId: r2 }, `lead ${i}: after`)
    })
    const moved = last4.filter((p) => p.repId !== r2).length
    t.match(replay, { leads: 4, changed: moved, assumptions: String })
    t.same(replay.moves, [{ from: r1, to: r2, count: moved }])
  })

  t.test('an unroutable lead: simulate gives the reason and retry time POST then records', async (t) => {
    await h.publish([
      { name: 'fintech only', when: { field: 'industry', op: 'eq', value: 'fintech' }, assign: team(specialists) },
      { name: 'unmatched', when: { field: 'country', op: 'eq', value: 'JP' }, assign: rep(r1) },
    ])
    const lead = { ...fintech, email: 'nobody-home@corp.example' }
    const { decision } = (await simulate({ lead })).json()
    t.match(decision, { outcome: 'unroutable', repId: null, retryAt: '2026-01-06T08:00:00.000Z' }, 'when Ben starts on Tuesday')
    const posted = await h.ok('POST', '/v1/leads', lead, 201, 'integration')
    t.equal(posted.lead.status, 'unrouted')
    t.same(posted.routing, decision, 'the same decision, reason and retry time included')
  })

  t.test('simulate writes nothing', async (t) => {
    const turns = async (teamId: string) =>
      (await sql(`select last_value::int, is_called from "team_turns_${teamId.replaceAll('-', '')}"`))[0]
    const snapshot = async () => ({
      counts: (
        await sql(`select (select count(*) from leads)::int as leads, (select count(*) from events)::int as events,
        (select count(*) from handoffs)::int as handoffs, (select count(*) from routing_rulesets)::int as rulesets,
        (select count(*) from pgboss.job)::int as jobs`)
      )[0],
      leads: await sql('select id, status, updated_at, next_route_at from leads order by id'),
      loads: await sql(
        'select l.rep_id, w.pending, w.unworked, l.claimed, l.day::text, l.day_count, l.last_assigned_at from rep_loads l join rep_workload w using (rep_id) order by l.rep_id',
      ),
      turns: { rotation: await turns(rotation), specialists: await turns(specialists) },
    })
    const before = await snapshot()
    t.ok(before.counts.handoffs > 0 && before.counts.jobs > 0, 'there is something to change')
    const draft = { rules: [{ name: 'rotation', assign: team(rotation) }], fallback: rep(r1) }
    const bodies = [
      { lead: fintech },
      { lead: { email: 'twin0@corp.example', ...DEMO } },
      { lead: fintech, ruleset: draft },
      { lead: { email: 'someone@gmail.com' } },
      { lead: fintech, ruleset: { rules: [{ name: 'ann', assign: rep(ann) }], fallback: null } },
      { ruleset: draft, replay: { last: 100 } },
      { lead: fintech, ruleset: { rules: [{ name: 'x', assign: team(GHOST) }], fallback: null } },
    ]
    for (const body of bodies) t.ok([200, 422].includes((await simulate(body)).statusCode))
    t.same(await snapshot(), before, 'no row, load, job or turn changed')
  })
})
