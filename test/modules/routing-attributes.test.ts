// Routing on rep attributes and the account-owner fallback, through the API: what PUT
// /v1/routing refuses, where leads go, what the stored trace and a simulation say, parent
// domains, company names, and an owner waited for at most waitSeconds.
import t from 'tap'
import { HOUR, MINUTE, PROBLEM, harness, pointers, team } from '../helpers/routing.ts'

t.test('routing on rep attributes and account owners', async (t) => {
  const h = await harness(t)
  const { baton, call, ok, sql } = h
  const versions = async () => (await sql('select count(*)::int as n from routing_rulesets'))[0].n

  t.test(
    'PUT /v1/routing: an unknown attribute, a field that is not a lead field, a wait out of range: 422, nothing published',
    async (t) => {
      const desk = await h.newTeam([await h.newRep()])
      const before = await versions()
      const put = (rules: object[]) => call('PUT', '/v1/routing', { rules, fallback: null })
      const cases: Array<[string, object, string[]]> = [
        [
          'an unknown attribute',
          { type: 'team', teamId: desk, require: [{ attribute: 'dialects', matches: 'country' }] },
          ['/rules/0/assign/require/0/attribute'],
        ],
        [
          'an unknown lead field',
          { type: 'team', teamId: desk, require: [{ attribute: 'languages', matches: 'language' }] },
          ['/rules/0/assign/require/0/matches'],
        ],
        [
          'a number field',
          { type: 'team', teamId: desk, require: [{ attribute: 'segments', matches: 'employees' }] },
          ['/rules/0/assign/require/0/matches'],
        ],
        [
          'waitSeconds above a week',
          { type: 'account_owner', ifUnavailable: { waitSeconds: 604_801 } },
          ['/rules/0/assign/ifUnavailable/waitSeconds'],
        ],
        [
          'a negative waitSeconds',
          { type: 'account_owner', ifUnavailable: { waitSeconds: -1 } },
          ['/rules/0/assign/ifUnavailable/waitSeconds'],
        ],
      ]
      for (const [name, assign, expected] of cases) {
        const res = await put([{ name: 'r', assign }])
        t.equal(res.statusCode, 422, name)
        t.equal(res.headers['content-type'], PROBLEM)
        t.same(pointers(res), expected, `${name}: ${res.json().detail}`)
      }
      t.equal(await versions(), before, 'no version was published')
    },
  )

  t.test('a lead goes to the rep whose attributes match; the trace and a simulation say why the others did not', async (t) => {
    const anna = await h.newRep({ name: 'Anna', attributes: { languages: ['de', 'en'], territories: ['DE', 'AT'] } })
    const bert = await h.newRep({ name: 'Bert', attributes: { languages: ['en'], territories: ['DE'] } })
    const desk = await h.newTeam([bert, anna])
    const fallback = await h.newRep({ name: 'Fallback' })
    const require = [
      { attribute: 'languages', matches: 'custom.language' },
      { attribute: 'territories', matches: 'country' },
    ]
    await h.publish([{ name: 'dach', assign: { ...team(desk), require } }], { type: 'rep', repId: fallback })

    for (let i = 0; i < 3; i++) {
      const placed = await h.postLead({ country: 'de', custom: { language: 'DE' } })
      t.match(placed.routing, { rule: 'dach', repId: anna }, `German lead ${i + 1}: Anna every time, whatever the turn`)
    }
    const placed = await h.postLead({ country: 'DE', custom: { language: 'de' } })
    const trace = (await ok('GET', `/v1/handoffs/${placed.handoff.id}`, undefined, 200)).trace
    const byRep = (candidates: Array<{ repId: string }>) => Object.fromEntries(candidates.map((c) => [c.repId, c]))
    t.match(byRep(trace.steps[0].candidates), {
      [bert]: { eligible: false, reason: 'languages do not include "de"' },
      [anna]: { eligible: true },
    })
    t.match(
      (await h.postLead({ country: 'DE' })).routing,
      { rule: 'fallback', repId: fallback },
      'no language on the lead: nobody in the team matches, the fallback takes it',
    )

    const simulated = await ok(
      'POST',
      '/v1/routing/simulate',
      { lead: { email: 'sim@corp.example', country: 'FR', signals: { demoRequested: true } } },
      200,
    )
    t.match(simulated.decision, { outcome: 'assigned', rule: 'fallback', repId: fallback })
    t.match(simulated.trace.steps[0], {
      rule: 'dach',
      result: 'nobody_eligible',
    })
    t.match(byRep(simulated.trace.steps[0].candidates), {
      [bert]: { reason: 'the lead has no custom.language to match languages', opensAt: null },
      [anna]: { reason: 'the lead has no custom.language to match languages', opensAt: null },
    })
    await ok('PATCH', `/v1/reps/${bert}`, { attributes: { languages: ['en', 'De'], territories: ['de'] } }, 200)
    const again = await h.postLead({ country: 'DE', custom: { language: 'de' } })
    t.ok([anna, bert].includes(again.handoff.repId), 'Bert learnt German: the next lead may go to either')
    t.match((await ok('GET', `/v1/handoffs/${again.handoff.id}`, undefined, 200)).trace.steps[0].candidates, [
      { eligible: true },
      { eligible: true },
    ])
  })

  t.test('accounts: a subdomain finds its registered parent, the longest suffix wins, a public suffix is never a domain', async (t) => {
    const [parent, child, other] = [await h.newRep({ name: 'Parent' }), await h.newRep({ name: 'Child' }), await h.newRep()]
    await ok('POST', '/v1/accounts', { name: 'Globex', domains: ['globex.example'], ownerId: parent }, 201)
    await ok('POST', '/v1/accounts', { name: 'Globex EU', domains: ['eu.globex.example'], ownerId: child }, 201)
    await h.publish([{ name: 'owner', assign: { type: 'account_owner' } }], { type: 'rep', repId: other })

    t.match((await h.postLead({}, 'sales.eu.globex.example')).routing, { rule: 'owner', repId: child }, 'the nearest parent')
    const us = await h.postLead({}, 'us.globex.example')
    t.match(us.routing, { rule: 'owner', repId: parent, reason: /account "Globex" \(by its parent domain globex.example\)/ })
    t.match((await ok('GET', `/v1/handoffs/${us.handoff.id}`, undefined, 200)).trace.steps[0].account, {
      name: 'Globex',
      matchedBy: 'parent_domain',
      matched: 'globex.example',
    })
    t.match((await h.postLead({}, 'globex.example')).routing, { repId: parent, reason: /account "Globex" is owned/ }, 'its own domain')
    t.match((await h.postLead({}, 'notglobex.example')).routing, { repId: other }, 'a different name ending the same way is not a child')

    for (const suffix of ['co.uk', 'github.io']) {
      const res = await call('POST', '/v1/accounts', { name: 'Everyone', domains: [suffix] })
      t.equal(res.statusCode, 422, `${suffix} is refused`)
      t.match(res.json().errors, [{ pointer: '/domains/0', detail: new RegExp(`${suffix.replace('.', '\\.')} is a public suffix`) }])
    }
    await ok('POST', '/v1/accounts', { name: 'Initech UK', domains: ['initech.co.uk'], ownerId: child }, 201)
    t.match((await h.postLead({}, 'london.initech.co.uk')).routing, { repId: child }, 'below a public suffix, the registered name')
    t.match((await h.postLead({}, 'other.co.uk')).routing, { repId: other }, 'a sibling under co.uk is another company')
  })

  t.test('matchCompanyName: only when the domain found nothing and the rule says so; ambiguous names match nothing', async (t) => {
    const [owner, desk] = [await h.newRep({ name: 'Olive' }), await h.newRep({ name: 'Desk' })]
    await ok('POST', '/v1/accounts', { name: 'Umbrella Corporation, Inc.', domains: ['umbrella.example'], ownerId: owner }, 201)
    await ok('POST', '/v1/accounts', { name: 'Twin GmbH', domains: ['twin-a.example'], ownerId: owner }, 201)
    await ok('POST', '/v1/accounts', { name: 'TWIN S.A.', domains: ['twin-b.example'], ownerId: owner }, 201)
    const byName = { name: 'owner', assign: { type: 'account_owner', matchCompanyName: true } }
    await h.publish([byName, { name: 'desk', assign: { type: 'rep', repId: desk } }])

    for (const company of ['umbrella corp', 'UMBRELLA, Inc.', 'Umbrella Corporation Ltd.']) {
      const placed = await h.postLead({ company }, 'gmail-like.example')
      t.match(placed.routing, { rule: 'owner', repId: owner, reason: /\(by company name\)/ }, `"${company}"`)
    }
    t.match((await h.postLead({ company: 'Umbrella Health' }, 'u-health.example')).routing, { repId: desk }, 'another name')
    t.match((await h.postLead({ company: 'Twin' }, 'twin.example')).routing, { repId: desk }, 'two accounts called Twin: neither')
    t.match((await h.postLead({}, 'nameless.example')).routing, { repId: desk }, 'no company given')

    await h.publish([
      { ...byName, assign: { type: 'account_owner' } },
      { name: 'desk', assign: { type: 'rep', repId: desk } },
    ])
    t.match((await h.postLead({ company: 'Umbrella Corp' }, 'unknown.example')).routing, { repId: desk }, 'the rule does not ask')
  })

  t.test('ifUnavailable: an away owner is waited for waitSeconds after the lead arrived, then the next rule', async (t) => {
    const [owner, desk] = [await h.newRep({ name: 'Wanda' }), await h.newRep({ name: 'Walt' })]
    await ok('POST', '/v1/accounts', { name: 'Waystar', domains: ['waystar.example'], ownerId: owner }, 201)
    await h.publish([
      { name: 'owner', assign: { type: 'account_owner', ifUnavailable: { waitSeconds: 1800 } } },
      { name: 'desk', assign: { type: 'rep', repId: desk } },
    ])
    await h.setStatus(owner, 'away')
    const arrived = baton.clock.now()
    const waiting = await h.postLead({}, 'waystar.example')
    const until = new Date(arrived.getTime() + 30 * MINUTE).toISOString()
    t.match(waiting.routing, { outcome: 'unroutable', retryAt: until, reason: new RegExp(`waiting for the owner until ${until}`) })
    t.match(
      await sql(`select data->>'at' as at from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [waiting.lead.id]),
      [{ at: until }],
      'a retry is booked for when the wait ends',
    )

    baton.clock.advance(29 * MINUTE)
    t.equal(await baton.services.unrouted.retryLead(waiting.lead.id), false, 'a minute before: still waiting')
    baton.clock.advance(MINUTE)
    t.equal(await baton.services.unrouted.retryLead(waiting.lead.id), true, 'the wait is over')
    const lead = await ok('GET', `/v1/leads/${waiting.lead.id}`, undefined, 200)
    t.match(lead, { status: 'pending_acceptance' })
    const [handoff] = await sql('select id, rep_id from handoffs where lead_id = $1', [waiting.lead.id])
    t.equal(handoff.rep_id, desk, 'the next rule took it')
    t.match((await ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).trace.steps[0], {
      rule: 'owner',
      result: 'owner_unavailable',
      ownerWait: { until, over: true },
    })

    const early = await h.postLead({}, 'waystar.example')
    await h.setStatus(owner, 'available')
    await baton.services.unrouted.sweep()
    t.match(
      await sql('select rep_id from handoffs where lead_id = $1', [early.lead.id]),
      [{ rep_id: owner }],
      'back within the wait: the owner',
    )
    baton.clock.advance(HOUR)
  })
})
