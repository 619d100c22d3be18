import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Role } from '../../src/lib/auth-keys.ts'
import { createAssigner } from '../../src/modules/routing/assign.ts'
import { createRulesetCache } from '../../src/modules/routing/rulesets.ts'
import { createUnroutedRouter } from '../../src/modules/routing/sweep.ts'
import { buildTestApp } from '../helpers/app.ts'

const GHOST = '01900000-0000-7000-8000-000000000000'
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const PROBLEM = 'application/problem+json; charset=utf-8'
const NINE_TO_FIVE = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [{ start: '09:00', end: '17:00' }]]))
const DEMO = { signals: { demoRequested: true } }

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
const pointers = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer).sort()
const team = (teamId: string) => ({ type: 'team', teamId })
const rep = (repId: string) => ({ type: 'rep', repId })

/**
 * A Baton of the test's own with helpers to set it up. ROLE=api: no pg-boss workers, so
 * no job routes a lead behind the test's back; the tests run the jobs' work by hand.
 */
async function harness(t: Test, start?: string) {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' }, ...(start ? { start } : {}) })
  // Signed afresh for each request: tests move the clock past a token's lifetime.
  const call = async (method: Method, url: string, payload?: object, role: Role = 'admin', sub?: string) =>
    baton.app.inject({ method, url, headers: await baton.auth(role, sub), ...(payload === undefined ? {} : { payload }) })
  const ok = async (method: Method, url: string, payload: object | undefined, status: number, role: Role = 'admin') => {
    const res = await call(method, url, payload, role)
    if (res.statusCode !== status) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.body === '' ? undefined : res.json()
  }
  const sql = async (text: string, params: unknown[] = []) => (await baton.deps.pool.query(text, params)).rows
  let reps = 0
  let teams = 0
  let leads = 0
  return {
    baton,
    call,
    ok,
    sql,
    /** A fresh rep (always working, no limits unless `extra` says so); its id. */
    newRep: async (extra: object = {}): Promise<string> => {
      reps++
      return (await ok('POST', '/v1/reps', { name: `Rep ${reps}`, email: `rep${reps}@baton.example`, timezone: 'UTC', ...extra }, 201)).id
    },
    newTeam: async (members: Array<string | { repId: string; weight: number }>, strategy = 'round_robin'): Promise<string> => {
      teams++
      const list = members.map((m) => (typeof m === 'string' ? { repId: m } : m))
      return (await ok('POST', '/v1/teams', { name: `Team ${teams}`, strategy, members: list }, 201)).id
    },
    publish: async (rules: object[], fallback: object | null = null) => ok('PUT', '/v1/routing', { rules, fallback }, 200),
    /** POST /v1/leads as an integration, with a fresh email; the 201 answer. */
    postLead: async (extra: object = {}, domain = 'corp.example') => {
      leads++
      return ok('POST', '/v1/leads', { email: `lead${leads}@${domain}`, ...DEMO, ...extra }, 201, 'integration')
    },
    events: async (leadId: string) => sql('select type, data from events where lead_id = $1 order by position', [leadId]),
    pending: async (repId: string): Promise<number> => (await sql('select pending from rep_loads where rep_id = $1', [repId]))[0].pending,
    setStatus: async (repId: string, status: 'away' | 'available') => ok('PATCH', `/v1/reps/${repId}`, { status }, 200),
  }
}

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
    const rules = [{ name: 'emea', when: { field: 'country', op: 'in', value: ['DE', 'FR'] }, assign: team(desk), acceptWithinSeconds: 600 }]
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
    t.match(pages, [
      { version: 3, rules: 0, fallback: { type: 'account_owner' }, createdAt: v3.createdAt },
      { version: 2, rules: 1, fallback: rep(ada), createdAt: v2.createdAt },
      { version: 1, rules: 0, fallback: null },
    ], 'newest first, one per page, the rule count as a summary')
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
      ['unknown condition field', { rules: [{ ...good, when: { field: 'colour', op: 'eq', value: 'red' } }], fallback: null }, ['/rules/0/when/field']],
      ['a number field compared with a string', { rules: [{ ...good, when: { field: 'score', op: 'gte', value: '50' } }], fallback: null }, ['/rules/0/when/value']],
      ['a deadline under 30 s', { rules: [{ ...good, acceptWithinSeconds: 5 }], fallback: null }, ['/rules/0/acceptWithinSeconds']],
      ['duplicate rule names', { rules: [{ ...good, name: 'Same' }, { name: ' same ', assign: rep(ada) }], fallback: null }, ['/rules/1/name']],
      ['several at once', { rules: [{ name: 'x', assign: team(GHOST) }, { name: 'X', assign: rep(gone) }], fallback: rep(GHOST) },
        ['/fallback/repId', '/rules/0/assign/teamId', '/rules/1/assign/repId', '/rules/1/name']],
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
    t.same(handoff, {
      id: handoff.id, leadId: lead.id, repId: handoff.repId, status: 'pending', attempt: 1,
      deadlineAt: new Date(now.getTime() + 1800_000).toISOString(), createdAt: now.toISOString(),
      routing: { version: v.version, rule: 'demo desk', ruleIndex: 0, teamId: desk },
    }, 'the demo tier gives 1800 s')
    t.match(routing, { outcome: 'assigned', version: v.version, rule: 'demo desk', repId: handoff.repId, teamId: desk, acceptWithinSeconds: 1800, retryAt: null })

    const events = await h.events(lead.id)
    t.same(events.map((e) => e.type), ['lead.received', 'lead.scored', 'lead.qualified', 'lead.assigned'])
    const assigned = events.at(-1).data
    t.same(assigned.handoff, handoff, 'the event carries the handoff')
    t.match(assigned.rep, { id: handoff.repId, name: handoff.repId === ada ? 'Ada' : 'Bo', email: String })
    t.same(assigned.rule, { version: v.version, index: 0, name: 'demo desk' })
    t.match(assigned.lead, { id: lead.id, status: 'pending_acceptance' })

    const [row] = await sql('select lead_id, rep_id, status, ruleset_version, rule_index, rule_name, team_id, assign, trace from handoffs where id = $1', [handoff.id])
    t.match(row, { lead_id: lead.id, rep_id: handoff.repId, status: 'pending', ruleset_version: v.version, rule_index: 0, rule_name: 'demo desk', team_id: desk, assign: team(desk) })
    t.match(row.trace, { version: v.version, steps: [{ rule: 'demo desk', result: 'assigned', team: { id: desk } }] }, 'the row keeps the trace')

    const fetched = await call('GET', `/v1/handoffs/${handoff.id}`)
    t.equal(fetched.statusCode, 200)
    const { trace, ...rest } = fetched.json()
    t.same(rest, handoff)
    t.same(trace, row.trace, 'GET answers the stored trace')
    t.match(trace.steps[0].candidates, [{ eligible: true }, { eligible: true }])
    t.equal((await call('GET', `/v1/handoffs/${GHOST}`)).statusCode, 404)

    t.equal((await call('GET', `/v1/leads/${lead.id}`, undefined, 'integration')).json().status, 'pending_acceptance')
    const other = handoff.repId === ada ? bo : ada
    t.equal(await h.pending(handoff.repId), loads[handoff.repId]! + 1, 'the rep has one more pending')
    t.equal(await h.pending(other), loads[other], 'the other rep is untouched')
  })

  t.test('a rule\'s acceptWithinSeconds overrides the tier', async (t) => {
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
    await h.publish([{ name: 'to team', assign: team(named) }, { name: 'to rep', assign: rep(di) }])
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
    t.match((await call('GET', `/v1/handoffs/${handoff.id}`)).json(), { id: handoff.id, routing: { rule: 'to team', teamId: null } }, 'its handoffs stay, without the team')
    t.equal((await call('DELETE', `/v1/reps/${di}`)).statusCode, 409, 'a fallback names the rep too')
    await h.publish([], null)
    t.equal((await call('DELETE', `/v1/reps/${di}`)).statusCode, 204)
  })
})

t.test('routing semantics', async (t) => {
  const h = await harness(t)
  const { baton, call, sql } = h
  const handoffTrace = async (id: string) => (await call('GET', `/v1/handoffs/${id}`)).json().trace

  t.test('first matching rule wins; nobody eligible falls through to the next rule, then the fallback', async (t) => {
    const [de1, de2, us1, senior, demoRep, fb] = [await h.newRep(), await h.newRep(), await h.newRep(), await h.newRep(), await h.newRep(), await h.newRep()]
    const [deTeam, usTeam] = [await h.newTeam([de1, de2]), await h.newTeam([us1])]
    const v = await h.publish([
      { name: 'germany', when: { field: 'country', op: 'eq', value: 'DE' }, assign: team(deTeam) },
      { name: 'software', when: { field: 'industry', op: 'eq', value: 'software' }, assign: team(usTeam) },
      { name: 'big score', when: { field: 'score', op: 'gte', value: 50 }, assign: rep(senior) },
      { name: 'demo tier', when: { field: 'tier', op: 'eq', value: 'demo' }, assign: rep(demoRep) },
    ], rep(fb))
    const placed = async (lead: object) => {
      const res = await h.postLead(lead)
      return { rule: res.routing.rule, repId: res.handoff?.repId ?? null, ruleIndex: res.handoff?.routing.ruleIndex, handoffId: res.handoff?.id, score: res.lead.score }
    }
    const deSoftware = { country: 'DE', industry: 'software' }
    const first = await placed(deSoftware)
    t.match(first, { rule: 'germany', ruleIndex: 0 }, 'both the first and second rules match: the first wins')
    t.ok([de1, de2].includes(first.repId))
    t.match(await placed({ country: 'US', industry: 'software' }), { rule: 'software', repId: us1 })
    const rich = { country: 'US', employees: 250, annualRevenue: 20_000_000, signals: { demoRequested: true, pricingPageViews: 5 } }
    t.match(await placed(rich), { rule: 'big score', repId: senior, score: 50 }, 'a score condition')
    t.match(await placed({ country: 'US' }), { rule: 'demo tier', repId: demoRep }, 'a tier condition')
    const standard = { country: 'US', employees: 250, phone: '+1 555 0100', productInterest: ['crm'], signals: {} }
    t.match(await placed(standard), { rule: 'fallback', ruleIndex: -1, repId: fb }, 'no rule matched: the fallback')

    await h.setStatus(de1, 'away')
    await h.setStatus(de2, 'away')
    const fell = await placed(deSoftware)
    t.match(fell, { rule: 'software', repId: us1 }, 'the German team is away: the next matching rule')
    t.match(await handoffTrace(fell.handoffId), {
      version: v.version,
      steps: [
        { rule: 'germany', result: 'nobody_eligible', candidates: [{ eligible: false, reason: 'away' }, { eligible: false, reason: 'away' }] },
        { rule: 'software', result: 'assigned' },
      ],
    })
    await h.setStatus(us1, 'away')
    t.match(await placed(deSoftware), { rule: 'demo tier', repId: demoRep }, 'past the rule that does not match')
    await h.setStatus(demoRep, 'away')
    const last = await placed(deSoftware)
    t.match(last, { rule: 'fallback', ruleIndex: -1, repId: fb })
    t.same((await handoffTrace(last.handoffId)).steps.map((s: { rule: string; result: string }) => `${s.rule}:${s.result}`),
      ['germany:nobody_eligible', 'software:nobody_eligible', 'demo tier:nobody_eligible', 'fallback:assigned'])
  })

  t.test('account_owner: the account\'s owner, or a wait for them; no owner goes on to the next rule', async (t) => {
    const [owner, member] = [await h.newRep({ name: 'Owen Owner' }), await h.newRep()]
    const rotation = await h.newTeam([member])
    await h.ok('POST', '/v1/accounts', { name: 'Acme', domains: ['acme.example'], ownerId: owner }, 201)
    await h.ok('POST', '/v1/accounts', { name: 'Orphan Corp', domains: ['orphan.example'] }, 201)
    await h.publish([{ name: 'owner', assign: { type: 'account_owner' } }, { name: 'team', assign: team(rotation) }])

    const owned = await h.postLead({}, 'acme.example')
    t.match(owned.routing, { outcome: 'assigned', rule: 'owner', repId: owner, teamId: null })
    t.match(await h.postLead({}, 'orphan.example'), { routing: { rule: 'team', repId: member } }, 'an account without owner')
    t.match(await h.postLead({}, 'elsewhere.example'), { routing: { rule: 'team', repId: member } }, 'a domain of no account')

    await h.setStatus(owner, 'away')
    const memberLoad = await h.pending(member)
    const waiting = await h.postLead({}, 'acme.example')
    t.match(waiting.lead, { status: 'unrouted', ownerId: null })
    t.equal(waiting.handoff, null)
    const reason = /^rule "owner": account "Acme" is owned by Owen Owner\b.*\baway\b/
    t.match(waiting.routing, { outcome: 'unroutable', rule: null, repId: null, reason, retryAt: null })
    t.equal(await h.pending(member), memberLoad, 'the owner\'s lead does not go to the team rule after it')
    const events = await h.events(waiting.lead.id)
    t.match(events.at(-1), { type: 'lead.unroutable', data: { reason, retryAt: null } })
    t.same(await sql(`select id from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [waiting.lead.id]), [], 'no calendar retry: the owner coming back sends a sweep')
  })

  t.test('a weighted team gets its leads 2:1, spread out', async (t) => {
    const [heavy, light] = [await h.newRep(), await h.newRep()]
    await h.publish([{ name: 'weighted', assign: team(await h.newTeam([{ repId: heavy, weight: 2 }, { repId: light, weight: 1 }], 'weighted')) }])
    const picks: string[] = []
    for (let i = 0; i < 9; i++) picks.push((await h.postLead()).handoff.repId)
    t.equal(picks.filter((p) => p === heavy).length, 6)
    t.equal(picks.filter((p) => p === light).length, 3)
    for (let i = 0; i < 9; i += 3) t.equal(picks.slice(i, i + 3).filter((p) => p === light).length, 1, `cycle ${i / 3 + 1} has one light pick`)
  })

  t.test('least_loaded prefers the rep with the fewest pending', async (t) => {
    const [busy, idle] = [await h.newRep(), await h.newRep()]
    const least = await h.newTeam([busy, idle], 'least_loaded')
    await h.publish([
      { name: 'preload', when: { field: 'custom.preload', op: 'eq', value: true }, assign: rep(busy) },
      { name: 'least loaded', assign: team(least) },
    ])
    t.equal((await h.postLead({ custom: { preload: true } })).handoff.repId, busy)
    t.equal((await h.postLead()).handoff.repId, idle, 'busy has 1 pending, idle 0')
    const third = (await h.postLead()).handoff.repId
    const fourth = (await h.postLead()).handoff.repId
    t.not(fourth, third, 'after a tie, the one who took the third lead has more')
    t.same([await h.pending(busy), await h.pending(idle)], [2, 2])
  })

  t.test('capacity: a rep at maxPending is passed over', async (t) => {
    const [small, spare] = [await h.newRep({ capacity: { maxPending: 1 } }), await h.newRep()]
    await h.publish([{ name: 'small first', assign: rep(small) }, { name: 'spare', assign: rep(spare) }])
    t.match((await h.postLead()).routing, { rule: 'small first', repId: small })
    const second = await h.postLead()
    t.match(second.routing, { rule: 'spare', repId: spare }, 'the second lead goes to the other rep')
    t.match((await handoffTrace(second.handoff.id)).steps[0], { rule: 'small first', candidates: [{ repId: small, eligible: false, reason: 'at capacity 1/1' }] })

    const [capped, open] = [await h.newRep({ capacity: { maxPending: 1 } }), await h.newRep()]
    await h.publish([{ name: 'pair', assign: team(await h.newTeam([capped, open])) }])
    const picks: string[] = []
    for (let i = 0; i < 4; i++) picks.push((await h.postLead()).handoff.repId)
    t.same([picks.filter((p) => p === capped).length, picks.filter((p) => p === open).length], [1, 3], 'in a team, the capped rep takes one')
    t.equal(await h.pending(capped), 1)
  })

  t.test('maxPerDay counts in the rep\'s own time zone', async (t) => {
    // Monday 09:00 UTC is 22:00 in Auckland (UTC+13): its day ends in 2 h, UTC's in 15 h.
    t.equal(baton.clock.now().toISOString(), '2026-01-05T09:00:00.000Z')
    const kiwi = await h.newRep({ timezone: 'Pacific/Auckland', capacity: { maxPerDay: 1 } })
    await h.publish([{ name: 'kiwi', assign: rep(kiwi) }])
    t.equal((await h.postLead()).handoff.repId, kiwi)
    const full = await h.postLead()
    t.equal(full.lead.status, 'unrouted')
    t.match(full.routing, { outcome: 'unroutable', reason: /daily limit reached 1\/1/, retryAt: '2026-01-05T11:00:00.000Z' }, 'retried at Auckland midnight')
    baton.clock.advance(HOUR + 59 * MINUTE)
    t.equal((await h.postLead()).lead.status, 'unrouted', '23:59 in Auckland: still the same day')
    baton.clock.advance(MINUTE)
    t.equal((await h.postLead()).handoff?.repId, kiwi, 'a new day in Auckland, though not in UTC')
    t.same(await sql('select day::text as day, day_count from rep_loads where rep_id = $1', [kiwi]), [{ day: '2026-01-06', day_count: 1 }])
  })
})

t.test('unrouted leads wait, then are routed by their retry job or a sweep', async (t) => {
  // Monday 09:00 UTC: 04:00 in New York, 03:00 in Chicago.
  const h = await harness(t)
  const { baton, call, sql } = h
  const router = createUnroutedRouter({ ...baton.deps, assigner: createAssigner({ ...baton.deps, rulesets: createRulesetCache() }) })
  const [ny, chi] = [
    await h.newRep({ timezone: 'America/New_York', workingHours: NINE_TO_FIVE }),
    await h.newRep({ timezone: 'America/Chicago', workingHours: NINE_TO_FIVE }),
  ]
  const v = await h.publish([{ name: 'americas', assign: team(await h.newTeam([ny, chi])) }])
  const status = async (id: string) => (await sql('select status, next_route_at from leads where id = $1', [id]))[0]
  const jobsFor = async (id: string) => (await sql(`select count(*)::int as n from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [id]))[0].n
  const queued = async (name: string) => (await sql(`select count(*)::int as n from pgboss.job where name = $1 and state = 'created'`, [name]))[0].n

  let leadId = ''
  t.test('nobody in working hours: unrouted, with the next window as its retry time and a job for it', async (t) => {
    const { lead, handoff, routing } = await h.postLead()
    leadId = lead.id
    t.equal(lead.status, 'unrouted')
    t.equal(handoff, null)
    t.match(routing, { outcome: 'unroutable', version: v.version, reason: /rule "americas": nobody in team "Team 1" is eligible \(2 outside working hours\)/, retryAt: '2026-01-05T14:00:00.000Z' })
    const events = await h.events(lead.id)
    t.same(events.map((e) => e.type), ['lead.received', 'lead.scored', 'lead.qualified', 'lead.unroutable'])
    t.match(events.at(-1).data, { reason: routing.reason, retryAt: '2026-01-05T14:00:00.000Z', rulesetVersion: v.version, lead: { id: lead.id, status: 'unrouted' } })
    t.same(await status(lead.id), { status: 'unrouted', next_route_at: new Date('2026-01-05T14:00:00Z') })
    const jobs = await sql(`select data, start_after > now() + interval '4 hours 59 minutes' as later from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [lead.id])
    t.match(jobs, [{ data: { leadId: lead.id, at: '2026-01-05T14:00:00.000Z' }, later: true }], 'one route-lead job, due in 5 h')
  })

  t.test('the retry job, run when the window opens, assigns the lead once', async (t) => {
    const eventCount = (await h.events(leadId)).length
    t.equal(await router.retryLead(leadId), false, 'run too early: still nobody')
    t.same(await status(leadId), { status: 'unrouted', next_route_at: new Date('2026-01-05T14:00:00Z') })
    t.equal((await h.events(leadId)).length, eventCount, 'waiting on is no new event')
    t.equal(await jobsFor(leadId), 2, 'the job used itself up and booked the next try')

    baton.clock.advance(5 * HOUR)
    t.equal(await router.retryLead(leadId), true)
    t.same(await status(leadId), { status: 'pending_acceptance', next_route_at: null })
    const events = await h.events(leadId)
    t.equal(events.at(-1).type, 'lead.assigned')
    t.match(events.at(-1).data, { rep: { id: ny }, rule: { version: v.version, name: 'americas' }, handoff: { repId: ny, attempt: 1 } }, 'Chicago opens an hour later')
    const [handoff] = await sql('select rep_id, status from handoffs where lead_id = $1', [leadId])
    t.same(handoff, { rep_id: ny, status: 'pending' })

    t.equal(await router.retryLead(leadId), false, 'a lead no longer unrouted is left alone')
    t.equal((await h.events(leadId)).length, events.length, 'no new event')
    t.equal((await sql('select count(*)::int as n from handoffs where lead_id = $1', [leadId]))[0].n, 1)
  })

  t.test('a sweep after a rep comes back routes every unrouted lead', async (t) => {
    await h.setStatus(ny, 'away')
    const waiting = [(await h.postLead()).lead, (await h.postLead()).lead]
    t.same(waiting.map((l) => l.status), ['unrouted', 'unrouted'])
    const jobs = [await jobsFor(waiting[0]!.id), await jobsFor(waiting[1]!.id)]
    t.same(jobs, [1, 1], 'each waits for Chicago to open')
    t.same(await router.sweep(), { tried: 2, assigned: 0 }, 'still nobody')
    t.same([await jobsFor(waiting[0]!.id), await jobsFor(waiting[1]!.id)], jobs, 'a sweep that finds the same retry time books no second job')
    await h.setStatus(ny, 'available')
    t.same(await router.sweep(), { tried: 2, assigned: 2 })
    for (const lead of waiting) {
      t.same(await status(lead.id), { status: 'pending_acceptance', next_route_at: null })
      t.equal((await h.events(lead.id)).at(-1).type, 'lead.assigned')
    }
    t.same(await router.sweep(), { tried: 0, assigned: 0 }, 'nothing left')
  })

  t.test('a change to a rep, team, account or the ruleset asks for one sweep', async (t) => {
    await sql(`delete from pgboss.job where name = 'routing-sweep'`)
    t.equal((await call('PATCH', `/v1/reps/${chi}`, { capacity: { maxPerDay: 50 } })).statusCode, 200)
    t.equal(await queued('routing-sweep'), 1, 'PATCH /v1/reps/:id')
    t.equal((await call('PATCH', `/v1/reps/${chi}`, { capacity: { maxPerDay: 60 } })).statusCode, 200)
    t.equal(await queued('routing-sweep'), 1, 'stately: at most one waiting')
    const spare = await h.newTeam([ny])
    for (const [what, change] of [
      ['PUT /v1/routing', () => h.publish([{ name: 'americas again', assign: rep(ny) }])],
      ['PATCH /v1/teams/:id', () => h.ok('PATCH', `/v1/teams/${spare}`, { members: [{ repId: chi }] }, 200)],
      ['POST /v1/accounts', () => h.ok('POST', '/v1/accounts', { name: 'Globex', domains: ['globex.example'], ownerId: chi }, 201)],
    ] as const) {
      await sql(`delete from pgboss.job where name = 'routing-sweep'`)
      await change()
      t.equal(await queued('routing-sweep'), 1, what)
    }
    await sql(`delete from pgboss.job where name = 'routing-sweep'`)
    await h.postLead()
    t.equal(await queued('routing-sweep'), 0, 'a new lead is routed on its own, not by a sweep')
  })
})

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
    t.match(decision, { outcome: 'assigned', version: live.version, rule: 'rotation', teamId: rotation, acceptWithinSeconds: 1800, retryAt: null })
    t.ok([r1, r2].includes(decision.repId))
    t.match(trace.steps[0], { index: 0, rule: 'fintech', matched: true, result: 'nobody_eligible', team: { id: specialists }, conditions: [{ matched: true }] })
    const reasons = Object.fromEntries(trace.steps[0].candidates.map((c: { repId: string; reason: string }) => [c.repId, c.reason]))
    t.same(reasons, { [ann]: 'away', [ben]: 'outside working hours 09:00–17:00 Europe/Berlin', [fay]: 'at capacity 1/1' })
    t.equal(trace.steps[0].candidates.find((c: { repId: string }) => c.repId === ben).opensAt, '2026-01-06T08:00:00.000Z', 'Tuesday 09:00 in Berlin')
    t.match(trace.steps[1], { rule: 'rotation', result: 'assigned', turn: { order: [decision.repId] } })

    const other = (await simulate({ lead: { ...fintech, industry: 'retail' } })).json()
    t.match(other.trace.steps[0], { rule: 'fintech', matched: false, result: 'not_matched' }, 'a rule that did not match is shown too')
  })

  t.test('a draft is tried instead of the live rules', async (t) => {
    const draft = { rules: [{ name: 'ben only', assign: rep(ben) }], fallback: rep(r2) }
    const { decision, trace } = (await simulate({ lead: fintech, ruleset: draft })).json()
    t.match(decision, { outcome: 'assigned', version: null, rule: 'fallback', repId: r2, teamId: null })
    t.match(trace, { version: null, steps: [{ rule: 'ben only', candidates: [{ reason: 'outside working hours 09:00–17:00 Europe/Berlin' }] }, { rule: 'fallback' }] })

    const waiting = (await simulate({ lead: fintech, ruleset: { rules: draft.rules, fallback: null } })).json()
    t.match(waiting.decision, { outcome: 'unroutable', version: null, repId: null, retryAt: '2026-01-06T08:00:00.000Z' })
  })

  t.test('a lead that does not qualify is not routed', async (t) => {
    const { decision, qualified } = (await simulate({ lead: { email: 'someone@gmail.com', ...DEMO } })).json()
    t.equal(qualified, false)
    t.match(decision, { outcome: 'not_routed', version: live.version, repId: null, rule: null })
  })

  t.test('bad drafts and bad leads are 422 with pointers into the body', async (t) => {
    const bad = { rules: [{ name: 'a', assign: team(GHOST) }, { name: 'b', when: { field: 'colour', op: 'eq', value: 1 }, assign: rep(r1) }], fallback: rep(GHOST) }
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
      ['a draft with a deadline under 30 s', { lead: fintech, ruleset: { rules: [{ name: 'a', assign: rep(r1), acceptWithinSeconds: 5 }], fallback: null } }, ['/ruleset/rules/0/acceptWithinSeconds']],
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
    t.same(data.map((d: { leadId: string }) => d.leadId), last4.map((p) => p.leadId), 'the last 4 leads, oldest first')
    data.forEach((d: { before: object; after: object }, i: number) => {
      t.same(d.before, { repId: last4[i]!.repId, rule: 'rotation', version: live.version }, `lead ${i}: before is its first handoff`)
      t.match(d.after, { outcome: 'assigned', version: null, rule: 'all to r2', repId: r2 }, `lead ${i}: after`)
    })
    const moved = last4.filter((p) => p.repId !== r2).length
    t.match(replay, { leads: 4, changed: moved, assumptions: String })
    t.same(replay.moves, [{ from: r1, to: r2, count: moved }])
  })

  t.test('an unroutable lead: simulate gives the reason and retry time POST then records', async (t) => {
    await h.publish([{ name: 'fintech only', when: { field: 'industry', op: 'eq', value: 'fintech' }, assign: team(specialists) }, { name: 'unmatched', when: { field: 'country', op: 'eq', value: 'JP' }, assign: rep(r1) }])
    const lead = { ...fintech, email: 'nobody-home@corp.example' }
    const { decision } = (await simulate({ lead })).json()
    t.match(decision, { outcome: 'unroutable', repId: null, retryAt: '2026-01-06T08:00:00.000Z' }, 'when Ben starts on Tuesday')
    const posted = await h.ok('POST', '/v1/leads', lead, 201, 'integration')
    t.equal(posted.lead.status, 'unrouted')
    t.same(posted.routing, decision, 'the same decision, reason and retry time included')
  })

  t.test('simulate writes nothing', async (t) => {
    const turns = async (teamId: string) => (await sql(`select last_value::int, is_called from "team_turns_${teamId.replaceAll('-', '')}"`))[0]
    const snapshot = async () => ({
      counts: (await sql(`select (select count(*) from leads)::int as leads, (select count(*) from events)::int as events,
        (select count(*) from handoffs)::int as handoffs, (select count(*) from routing_rulesets)::int as rulesets,
        (select count(*) from pgboss.job)::int as jobs`))[0],
      leads: await sql('select id, status, updated_at, next_route_at from leads order by id'),
      loads: await sql('select rep_id, pending, unworked, day::text, day_count, last_assigned_at from rep_loads order by rep_id'),
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
