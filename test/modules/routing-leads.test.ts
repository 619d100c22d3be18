// How POST /v1/leads routes: rule order, fall-through, account owners, team strategies,
// capacity and daily limits; and unrouted leads, picked up by their retry job or a sweep.
import t from 'tap'
import { HOUR, MINUTE, NINE_TO_FIVE, harness, rep, team } from '../helpers/routing.ts'

t.test('routing semantics', async (t) => {
  const h = await harness(t)
  const { baton, call, sql } = h
  const handoffTrace = async (id: string) => (await call('GET', `/v1/handoffs/${id}`)).json().trace

  t.test('first matching rule wins; nobody eligible falls through to the next rule, then the fallback', async (t) => {
    const [de1, de2, us1, senior, demoRep, fb] = [
      await h.newRep(),
      await h.newRep(),
      await h.newRep(),
      await h.newRep(),
      await h.newRep(),
      await h.newRep(),
    ]
    const [deTeam, usTeam] = [await h.newTeam([de1, de2]), await h.newTeam([us1])]
    const v = await h.publish(
      [
        { name: 'germany', when: { field: 'country', op: 'eq', value: 'DE' }, assign: team(deTeam) },
        { name: 'software', when: { field: 'industry', op: 'eq', value: 'software' }, assign: team(usTeam) },
        { name: 'big score', when: { field: 'score', op: 'gte', value: 50 }, assign: rep(senior) },
        { name: 'demo tier', when: { field: 'tier', op: 'eq', value: 'demo' }, assign: rep(demoRep) },
      ],
      rep(fb),
    )
    const placed = async (lead: object) => {
      const res = await h.postLead(lead)
      return {
        rule: res.routing.rule,
        repId: res.handoff?.repId ?? null,
        ruleIndex: res.handoff?.routing.ruleIndex,
        handoffId: res.handoff?.id,
        score: res.lead.score,
      }
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
        {
          rule: 'germany',
          result: 'nobody_eligible',
          candidates: [
            { eligible: false, reason: 'away' },
            { eligible: false, reason: 'away' },
          ],
        },
        { rule: 'software', result: 'assigned' },
      ],
    })
    await h.setStatus(us1, 'away')
    t.match(await placed(deSoftware), { rule: 'demo tier', repId: demoRep }, 'past the rule that does not match')
    await h.setStatus(demoRep, 'away')
    const last = await placed(deSoftware)
    t.match(last, { rule: 'fallback', ruleIndex: -1, repId: fb })
    t.same(
      (await handoffTrace(last.handoffId)).steps.map((s: { rule: string; result: string }) => `${s.rule}:${s.result}`),
      ['germany:nobody_eligible', 'software:nobody_eligible', 'demo tier:nobody_eligible', 'fallback:assigned'],
    )
  })

  t.test("account_owner: the account's owner, or a wait for them; no owner goes on to the next rule", async (t) => {
    const [owner, member] = [await h.newRep({ name: 'Owen Owner' }), await h.newRep()]
    const rotation = await h.newTeam([member])
    await h.ok('POST', '/v1/accounts', { name: 'Acme', domains: ['acme.example'], ownerId: owner }, 201)
    await h.ok('POST', '/v1/accounts', { name: 'Orphan Corp', domains: ['orphan.example'] }, 201)
    await h.publish([
      { name: 'owner', assign: { type: 'account_owner' } },
      { name: 'team', assign: team(rotation) },
    ])

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
    t.equal(await h.pending(member), memberLoad, "the owner's lead does not go to the team rule after it")
    const events = await h.events(waiting.lead.id)
    t.match(events.at(-1), { type: 'lead.unroutable', data: { reason, retryAt: null } })
    t.same(
      await sql(`select id from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [waiting.lead.id]),
      [],
      'no calendar retry: the owner coming back sends a sweep',
    )
  })

  t.test('a weighted team gets its leads 2:1, spread out', async (t) => {
    const [heavy, light] = [await h.newRep(), await h.newRep()]
    await h.publish([
      {
        name: 'weighted',
        assign: team(
          await h.newTeam(
            [
              { repId: heavy, weight: 2 },
              { repId: light, weight: 1 },
            ],
            'weighted',
          ),
        ),
      },
    ])
    const picks: string[] = []
    for (let i = 0; i < 9; i++) picks.push((await h.postLead()).handoff.repId)
    t.equal(picks.filter((p) => p === heavy).length, 6)
    t.equal(picks.filter((p) => p === light).length, 3)
    for (let i = 0; i < 9; i += 3)
      t.equal(picks.slice(i, i + 3).filter((p) => p === light).length, 1, `cycle ${i / 3 + 1} has one light pick`)
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
    await h.publish([
      { name: 'small first', assign: rep(small) },
      { name: 'spare', assign: rep(spare) },
    ])
    t.match((await h.postLead()).routing, { rule: 'small first', repId: small })
    const second = await h.postLead()
    t.match(second.routing, { rule: 'spare', repId: spare }, 'the second lead goes to the other rep')
    t.match((await handoffTrace(second.handoff.id)).steps[0], {
      rule: 'small first',
      candidates: [{ repId: small, eligible: false, reason: 'at capacity 1/1' }],
    })

    const [capped, open] = [await h.newRep({ capacity: { maxPending: 1 } }), await h.newRep()]
    await h.publish([{ name: 'pair', assign: team(await h.newTeam([capped, open])) }])
    const picks: string[] = []
    for (let i = 0; i < 4; i++) picks.push((await h.postLead()).handoff.repId)
    t.same(
      [picks.filter((p) => p === capped).length, picks.filter((p) => p === open).length],
      [1, 3],
      'in a team, the capped rep takes one',
    )
    t.equal(await h.pending(capped), 1)
  })

  t.test("maxPerDay counts in the rep's own time zone", async (t) => {
    // Monday 09:00 UTC is 22:00 in Auckland (UTC+13): its day ends in 2 h, UTC's in 15 h.
    t.equal(baton.clock.now().toISOString(), '2026-01-05T09:00:00.000Z')
    const kiwi = await h.newRep({ timezone: 'Pacific/Auckland', capacity: { maxPerDay: 1 } })
    await h.publish([{ name: 'kiwi', assign: rep(kiwi) }])
    t.equal((await h.postLead()).handoff.repId, kiwi)
    const full = await h.postLead()
    t.equal(full.lead.status, 'unrouted')
    t.match(
      full.routing,
      { outcome: 'unroutable', reason: /daily limit reached 1\/1/, retryAt: '2026-01-05T11:00:00.000Z' },
      'retried at Auckland midnight',
    )
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
  const router = baton.services.unrouted
  const [ny, chi] = [
    await h.newRep({ timezone: 'America/New_York', workingHours: NINE_TO_FIVE }),
    await h.newRep({ timezone: 'America/Chicago', workingHours: NINE_TO_FIVE }),
  ]
  const v = await h.publish([{ name: 'americas', assign: team(await h.newTeam([ny, chi])) }])
  const status = async (id: string) => (await sql('select status, next_route_at from leads where id = $1', [id]))[0]
  const jobsFor = async (id: string) =>
    (await sql(`select count(*)::int as n from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`, [id]))[0].n
  const queued = async (name: string) =>
    (await sql(`select count(*)::int as n from pgboss.job where name = $1 and state = 'created'`, [name]))[0].n

  let leadId = ''
  t.test('nobody in working hours: unrouted, with the next window as its retry time and a job for it', async (t) => {
    const { lead, handoff, routing } = await h.postLead()
    leadId = lead.id
    t.equal(lead.status, 'unrouted')
    t.equal(handoff, null)
    t.match(routing, {
      outcome: 'unroutable',
      version: v.version,
      reason: /rule "americas": nobody in team "Team 1" is eligible \(2 outside working hours\)/,
      retryAt: '2026-01-05T14:00:00.000Z',
    })
    const events = await h.events(lead.id)
    t.same(
      events.map((e) => e.type),
      ['lead.received', 'lead.scored', 'lead.qualified', 'lead.unroutable'],
    )
    t.match(events.at(-1).data, {
      reason: routing.reason,
      retryAt: '2026-01-05T14:00:00.000Z',
      rulesetVersion: v.version,
      lead: { id: lead.id, status: 'unrouted' },
    })
    t.same(await status(lead.id), { status: 'unrouted', next_route_at: new Date('2026-01-05T14:00:00Z') })
    const jobs = await sql(
      `select data, start_after > now() + interval '4 hours 59 minutes' as later from pgboss.job where name = 'route-lead' and data->>'leadId' = $1`,
      [lead.id],
    )
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
    t.match(
      events.at(-1).data,
      { rep: { id: ny }, rule: { version: v.version, name: 'americas' }, handoff: { repId: ny, attempt: 1 } },
      'Chicago opens an hour later',
    )
    const [handoff] = await sql('select rep_id, status from handoffs where lead_id = $1', [leadId])
    t.same(handoff, { rep_id: ny, status: 'pending' })

    t.equal(await router.retryLead(leadId), false, 'a lead no longer unrouted is left alone')
    t.equal((await h.events(leadId)).length, events.length, 'no new event')
    t.equal((await sql('select count(*)::int as n from handoffs where lead_id = $1', [leadId]))[0].n, 1)
  })

  t.test('a sweep after a rep comes back routes every unrouted lead', async (t) => {
    await h.setStatus(ny, 'away')
    const waiting = [(await h.postLead()).lead, (await h.postLead()).lead]
    t.same(
      waiting.map((l) => l.status),
      ['unrouted', 'unrouted'],
    )
    const jobs = [await jobsFor(waiting[0]!.id), await jobsFor(waiting[1]!.id)]
    t.same(jobs, [1, 1], 'each waits for Chicago to open')
    t.same(await router.sweep(), { tried: 2, assigned: 0 }, 'still nobody')
    t.same(
      [await jobsFor(waiting[0]!.id), await jobsFor(waiting[1]!.id)],
      jobs,
      'a sweep that finds the same retry time books no second job',
    )
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
