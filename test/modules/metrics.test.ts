// The handoff metrics API over a history built second by second with the manual clock:
// every figure below is worked out by hand from that history, not read back from the code.
import t, { type Test } from 'tap'
import { handoffHarness, NOBODY, PROBLEM, type HandoffHarness } from '../helpers/handoffs.ts'

const T0 = Date.parse('2026-01-05T09:00:00Z') // the harness clock's start
const HOUR = 3600
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString()
const query = (params: Record<string, string>) => new URLSearchParams(params).toString()
const secs = (count: number, p50: number | null = null, p90 = p50, p99 = p50) => ({ count, p50, p90, p99 })
const NO_TIMES = secs(0)
/** A group with no accepted, contacted or offered lead: no timings in either clock, no handoffs. */
const NOTHING_TIMED = {
  timeToAcceptSeconds: NO_TIMES,
  timeToFirstContactSeconds: NO_TIMES,
  timeToAcceptWorkingSeconds: NO_TIMES,
  timeToFirstContactWorkingSeconds: NO_TIMES,
  handoffs: { offered: 0, accepted: 0, declined: 0, expired: 0, slaBreachRate: null, slaBreachRateByClock: { wall: null, working: null } },
}

/**
 * Nine leads, two hours apart (L1 at T0 … L9 at T0 + 16 h), through every path the metrics see.
 * Rules by source: partner → team Partners (Cy, Dora), event → Cy alone, web → team Inbound
 * (Ada, Ben; manager Max). HANDOFF_MAX_ATTEMPTS=2: a second miss escalates to Max.
 */
async function history(t: Test) {
  const h = await handoffHarness(t, { env: { HANDOFF_MAX_ATTEMPTS: '2' } })
  const tasks = h.baton.services.tasks
  const rep = async (name: string): Promise<string> => h.newRep({ name })
  const [ada, ben, cy, dora, max] = [await rep('Ada'), await rep('Ben'), await rep('Cy'), await rep('Dora'), await rep('Max')]
  const team = async (name: string, members: string[], managerId?: string): Promise<string> =>
    (
      await h.ok(
        'POST',
        '/v1/teams',
        { name, strategy: 'round_robin', members: members.map((repId) => ({ repId })), ...(managerId ? { managerId } : {}) },
        201,
      )
    ).id
  const inbound = await team('Inbound', [ada, ben], max)
  const partners = await team('Partners', [cy, dora])
  const bySource = (value: string) => ({ field: 'source', op: 'eq', value })
  await h.ok(
    'PUT',
    '/v1/routing',
    {
      rules: [
        { name: 'partners', when: bySource('partner'), assign: { type: 'team', teamId: partners } },
        { name: 'events', when: bySource('event'), assign: { type: 'rep', repId: cy } },
        { name: 'inbound', when: bySource('web'), assign: { type: 'team', teamId: inbound } },
      ],
      fallback: null,
    },
    200,
  )

  /** Sets the clock to T0 + `seconds`. */
  const at = (seconds: number) => {
    const ms = T0 + seconds * 1000 - h.baton.clock.now().getTime()
    if (ms < 0) throw new Error(`the clock is already past ${iso(seconds)}`)
    h.baton.clock.advance(ms)
  }
  let n = 0
  const post = async (seconds: number, body: object) => {
    at(seconds)
    return h.ok('POST', '/v1/leads', { email: `l${++n}@acme.example`, ...body }, 201, 'integration')
  }
  const demo = (source: string, extra: object = {}) => ({ source, signals: { demoRequested: true }, ...extra })
  const act = (verb: 'accept' | 'decline', handoff: { id: string; repId: string }) =>
    h.ok('POST', `/v1/handoffs/${handoff.id}/${verb}`, verb === 'decline' ? { reason: 'not mine' } : undefined, 200, 'rep', handoff.repId)
  const call = (leadId: string, repId: string, occurredAt?: string) =>
    h.ok('POST', `/v1/leads/${leadId}/activities`, { type: 'call', ...(occurredAt ? { occurredAt } : {}) }, 201, 'rep', repId)
  const overdue = async (t: Test, leadId: string) => {
    const [task] = await h.sql<{ id: string }>("select id from tasks where lead_id = $1 and kind = 'first_contact'", [leadId])
    t.equal(await tasks.overdue(task!.id), 'overdue', 'its first-contact task falls due undone')
  }
  // L1 (web, demo): Ada accepts after 30 s, calls at 120 s, converts at 200 s.
  const l1 = await post(0, demo('web'))
  t.equal(l1.handoff.repId, ada, 'L1 → Ada (Inbound turn 1)')
  at(30)
  await act('accept', l1.handoff)
  at(120)
  await call(l1.lead.id, ada)
  at(200)
  await h.ok('POST', `/v1/leads/${l1.lead.id}/convert`, { amount: 1000, currency: 'EUR' }, 200, 'rep', ada)

  // L2 (web, demo): Ben accepts after 90 s, first contact at 600 s (in time).
  const l2 = await post(2 * HOUR, demo('web'))
  t.equal(l2.handoff.repId, ben, 'L2 → Ben')
  at(2 * HOUR + 90)
  await act('accept', l2.handoff)
  at(2 * HOUR + 600)
  await call(l2.lead.id, ben)

  // L3 (web, high: 300 s to accept, 300 s to contact): Ada declines at 60 s, Ben accepts at 300 s,
  // nobody calls; the task (due 600 s) goes overdue at 700 s.
  const l3 = await post(4 * HOUR, demo('web', { employees: 600 }))
  t.match(l3, { lead: { tier: 'high' }, handoff: { repId: ada } }, 'L3 → Ada, tier high')
  at(4 * HOUR + 60)
  await act('decline', l3.handoff)
  const l3b = await h.pendingOf(l3.lead.id)
  t.match(l3b, { repId: ben, attempt: 2 }, 'L3 re-routed to Ben')
  at(4 * HOUR + 300)
  await act('accept', l3b)
  at(4 * HOUR + 700)
  await overdue(t, l3.lead.id)

  // L4 (web, demo): Ada lets it expire (1801 s), Ben too (3602 s): escalated to Max, who accepts
  // at 3662 s and calls at 3700 s.
  const l4 = await post(6 * HOUR, demo('web'))
  t.equal(l4.handoff.repId, ada, 'L4 → Ada')
  t.equal(await h.expire(l4.handoff), 'expired')
  const l4b = await h.pendingOf(l4.lead.id)
  t.match(l4b, { repId: ben, attempt: 2, createdAt: iso(6 * HOUR + 1801) })
  t.equal(await h.expire(l4b), 'expired')
  const l4c = await h.pendingOf(l4.lead.id)
  t.match(l4c, { repId: max, attempt: 3, routing: { rule: 'escalation' }, createdAt: iso(6 * HOUR + 3602) }, 'escalated to Max')
  at(6 * HOUR + 3662)
  await act('accept', l4c)
  at(6 * HOUR + 3700)
  await call(l4.lead.id, max)

  // L5 (partner, demo): Cy accepts after 45 s; the task (due 1845 s) goes overdue at 1846 s;
  // at 2100 s Cy logs the call made at 2000 s (a late first contact: the overdue mark stays).
  const l5 = await post(8 * HOUR, demo('partner'))
  t.equal(l5.handoff.repId, cy, 'L5 → Cy (Partners turn 1)')
  at(8 * HOUR + 45)
  await act('accept', l5.handoff)
  at(8 * HOUR + 1846)
  await overdue(t, l5.lead.id)
  at(8 * HOUR + 2100)
  await call(l5.lead.id, cy, iso(8 * HOUR + 2000))

  // L6 (event, demo): Cy is away, no other rule matches: unrouted for exactly 600 s, then Cy
  // is back and the sweep places it; Cy accepts at 630 s; the task (due 2430 s) goes overdue.
  await h.ok('PATCH', `/v1/reps/${cy}`, { status: 'away' }, 200)
  const l6 = await post(10 * HOUR, demo('event'))
  t.match(l6, { lead: { status: 'unrouted' }, handoff: null }, 'L6 waits unrouted')
  at(10 * HOUR + 600)
  await h.ok('PATCH', `/v1/reps/${cy}`, { status: 'available' }, 200)
  t.match(await h.sweeper.sweep(), { assigned: 1 })
  const l6a = await h.pendingOf(l6.lead.id)
  t.match(l6a, { repId: cy, createdAt: iso(10 * HOUR + 600) })
  at(10 * HOUR + 630)
  await act('accept', l6a)
  at(10 * HOUR + 2431)
  await overdue(t, l6.lead.id)

  // L7 (web): a free-mail address is disqualified. L8 (web): no signal, score 0: nurtured.
  const l7 = await post(12 * HOUR, { email: 'someone@gmail.com', source: 'web' })
  t.equal(l7.lead.status, 'disqualified')
  const l8 = await post(14 * HOUR, { source: 'web' })
  t.equal(l8.lead.status, 'nurture')
  // L9 (web, demo): offered to Ada (Inbound turn 7), still pending when the figures are read.
  const l9 = await post(16 * HOUR, demo('web'))
  t.equal(l9.handoff.repId, ada, 'L9 → Ada, pending')
  at(16 * HOUR + 60)

  return { h, reps: { ada, ben, cy, dora, max }, teams: { inbound, partners } }
}

t.test('GET /v1/metrics/handoffs over a known history', async (t) => {
  const { h, reps, teams } = await history(t)
  const day = { from: iso(0), to: iso(24 * HOUR) }
  const metrics = async (params: Record<string, string>) => h.ok('GET', `/v1/metrics/handoffs?${query(params)}`, undefined, 200)

  t.test('the totals', async (t) => {
    const answer = await metrics(day)
    t.match(answer, { from: day.from, to: day.to, groupBy: null, groups: [] })
    t.same(answer.total, {
      // Qualified: L1–L6, L9. Assigned (ever handed off): the same 7. Accepted: L1–L6.
      // Contacted: L1, L2, L4, L5. Converted: L1.
      funnel: { received: 9, qualified: 7, disqualified: 1, assigned: 7, accepted: 6, contacted: 4, converted: 1 },
      // Accept seconds, sorted: [30, 45, 90, 300, 630, 3662] (n = 6, positions p·5):
      // p50 at 2.5 → 90 + 0.5·(300 − 90) = 195; p90 at 4.5 → 630 + 0.5·(3662 − 630) = 2146;
      // p99 at 4.95 → 630 + 0.95·3032 = 3510.4.
      timeToAcceptSeconds: secs(6, 195, 2146, 3510.4),
      // Contact seconds, sorted: [120, 600, 2000, 3700] (n = 4, positions p·3):
      // p50 at 1.5 → 600 + 0.5·1400 = 1300; p90 at 2.7 → 2000 + 0.7·1700 = 3190;
      // p99 at 2.97 → 2000 + 0.97·1700 = 3649.
      timeToFirstContactSeconds: secs(4, 1300, 3190, 3649),
      // Everyone here is always working: working seconds are wall seconds.
      timeToAcceptWorkingSeconds: secs(6, 195, 2146, 3510.4),
      timeToFirstContactWorkingSeconds: secs(4, 1300, 3190, 3649),
      // Offers: L1 1, L2 1, L3 2, L4 3, L5 1, L6 1, L9 1 (pending) = 10.
      // slaBreachRate = expired ÷ (accepted + declined + expired) = 2 ÷ 9.
      // By clock: the high tier's L3 offers count wall seconds (0 of 2 expired); the rest count working
      // time (L1, L2, L4 ×3 with Max's escalation keeping the clock, L5, L6: 2 of 7 expired).
      handoffs: {
        offered: 10,
        accepted: 6,
        declined: 1,
        expired: 2,
        slaBreachRate: 0.2222,
        slaBreachRateByClock: { wall: 0, working: 0.2857 },
      },
      // Tasks: L1–L6, overdue L3, L5, L6 → 3/6. Re-routed L3, L4 → 2/7. Escalated L4 → 1/7.
      rates: { firstContactOverdue: 0.5, reroute: 0.2857, escalation: 0.1429 },
      unroutedSeconds: secs(1, 600),
    })
  })

  // Lead figures by owner, handoff figures by the rep offered.
  const byRep = {
    // Owns L1; offered L1 (accepted), L3 (declined), L4 (expired), L9 (pending).
    [reps.ada]: {
      label: 'Ada',
      funnel: { received: 1, qualified: 1, disqualified: 0, assigned: 1, accepted: 1, contacted: 1, converted: 1 },
      timeToAcceptSeconds: secs(1, 30),
      timeToFirstContactSeconds: secs(1, 120),
      // Everyone here is always working: working seconds are wall seconds.
      timeToAcceptWorkingSeconds: secs(1, 30),
      timeToFirstContactWorkingSeconds: secs(1, 120),
      // Wall: L3 (declined). Working: L1 (accepted), L4 (expired).
      handoffs: {
        offered: 4,
        accepted: 1,
        declined: 1,
        expired: 1,
        slaBreachRate: 0.3333,
        slaBreachRateByClock: { wall: 0, working: 0.5 },
      },
      rates: { firstContactOverdue: 0, reroute: 0, escalation: 0 },
      unroutedSeconds: NO_TIMES,
    },
    // Owns L2, L3; offered L2, L3 (accepted), L4 (expired). Accept [90, 300]: p50 195,
    // p90 90 + 0.9·210 = 279, p99 90 + 0.99·210 = 297.9.
    [reps.ben]: {
      label: 'Ben',
      funnel: { received: 2, qualified: 2, disqualified: 0, assigned: 2, accepted: 2, contacted: 1, converted: 0 },
      timeToAcceptSeconds: secs(2, 195, 279, 297.9),
      timeToFirstContactSeconds: secs(1, 600),
      // Everyone here is always working: working seconds are wall seconds.
      timeToAcceptWorkingSeconds: secs(2, 195, 279, 297.9),
      timeToFirstContactWorkingSeconds: secs(1, 600),
      // Wall: L3 (accepted). Working: L2 (accepted), L4 (expired).
      handoffs: {
        offered: 3,
        accepted: 2,
        declined: 0,
        expired: 1,
        slaBreachRate: 0.3333,
        slaBreachRateByClock: { wall: 0, working: 0.5 },
      },
      rates: { firstContactOverdue: 0.5, reroute: 0.5, escalation: 0 },
      unroutedSeconds: NO_TIMES,
    },
    // Owns L5, L6. Accept [45, 630]: p50 337.5, p90 45 + 0.9·585 = 571.5, p99 45 + 0.99·585 = 624.15.
    [reps.cy]: {
      label: 'Cy',
      funnel: { received: 2, qualified: 2, disqualified: 0, assigned: 2, accepted: 2, contacted: 1, converted: 0 },
      timeToAcceptSeconds: secs(2, 337.5, 571.5, 624.15),
      timeToFirstContactSeconds: secs(1, 2000),
      // Everyone here is always working: working seconds are wall seconds.
      timeToAcceptWorkingSeconds: secs(2, 337.5, 571.5, 624.15),
      timeToFirstContactWorkingSeconds: secs(1, 2000),
      handoffs: { offered: 2, accepted: 2, declined: 0, expired: 0, slaBreachRate: 0, slaBreachRateByClock: { wall: null, working: 0 } },
      rates: { firstContactOverdue: 1, reroute: 0, escalation: 0 },
      unroutedSeconds: secs(1, 600),
    },
    // Owns L4, taken as its manager's escalation.
    [reps.max]: {
      label: 'Max',
      funnel: { received: 1, qualified: 1, disqualified: 0, assigned: 1, accepted: 1, contacted: 1, converted: 0 },
      timeToAcceptSeconds: secs(1, 3662),
      timeToFirstContactSeconds: secs(1, 3700),
      // Everyone here is always working: working seconds are wall seconds.
      timeToAcceptWorkingSeconds: secs(1, 3662),
      timeToFirstContactWorkingSeconds: secs(1, 3700),
      handoffs: { offered: 1, accepted: 1, declined: 0, expired: 0, slaBreachRate: 0, slaBreachRateByClock: { wall: null, working: 0 } },
      rates: { firstContactOverdue: 0, reroute: 1, escalation: 1 },
      unroutedSeconds: NO_TIMES,
    },
  }

  t.test('groupBy=rep: owners, offered reps, and the leads nobody owns', async (t) => {
    const { groups } = await metrics({ ...day, groupBy: 'rep' })
    // Dora was never offered a lead: no group. Keys sort by id (creation order), null last.
    t.same(
      groups.map((g: { key: string | null }) => g.key),
      [reps.ada, reps.ben, reps.cy, reps.max, null],
    )
    for (const [key, expected] of Object.entries(byRep))
      t.same(
        groups.find((g: { key: string }) => g.key === key),
        { key, ...expected },
        expected.label,
      )
    // L7 (disqualified), L8 (nurture), L9 (pending): no owner, and no handoff is keyed null.
    t.same(groups.at(-1), {
      key: null,
      label: null,
      funnel: { received: 3, qualified: 1, disqualified: 1, assigned: 1, accepted: 0, contacted: 0, converted: 0 },
      ...NOTHING_TIMED,
      rates: { firstContactOverdue: null, reroute: 0, escalation: 0 },
      unroutedSeconds: NO_TIMES,
    })
  })

  type Group = { key: string | null; label: string | null; funnel: Record<string, number>; handoffs: Record<string, number | null> }
  /** A group's key, label and counts, the expected way round: funnel counts, then handoff counts and breach rate. */
  const row = (key: string | null, label: string | null, f: number[], ho: Array<number | null>) => ({ key, label, funnel: f, handoffs: ho })
  const check = async (t: Test, groupBy: string, expected: Array<ReturnType<typeof row>>) => {
    const { groups } = await metrics({ ...day, groupBy })
    const funnel = ['received', 'qualified', 'disqualified', 'assigned', 'accepted', 'contacted', 'converted']
    const handoffs = ['offered', 'accepted', 'declined', 'expired', 'slaBreachRate']
    t.same(
      groups.map((g: Group) =>
        row(
          g.key,
          g.label,
          funnel.map((k) => g.funnel[k]!),
          handoffs.map((k) => g.handoffs[k]!),
        ),
      ),
      expected,
      `groupBy=${groupBy}`,
    )
  }

  t.test("groupBy=team: leads by their first handoff's team, handoffs by their own", async (t) => {
    const [inbound, partners] = [teams.inbound, teams.partners].sort()
    const expected = {
      // L1–L4, L9; offers: L1, L2, L3 ×2, L4 ×3 (the escalation keeps the team), L9.
      [teams.inbound]: row(teams.inbound, 'Inbound', [5, 5, 0, 5, 4, 3, 1], [8, 4, 1, 2, 0.2857]),
      [teams.partners]: row(teams.partners, 'Partners', [1, 1, 0, 1, 1, 1, 0], [1, 1, 0, 0, 0]),
    }
    // L6 went to Cy by a rep rule (no team); L7, L8 were never handed off.
    await check(t, 'team', [expected[inbound!]!, expected[partners!]!, row(null, null, [3, 1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0])])
  })

  t.test('groupBy=rule: leads by their first rule, handoffs by their own', async (t) => {
    await check(t, 'rule', [
      row('escalation', null, [0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0]), // Max's handoff of L4
      row('events', null, [1, 1, 0, 1, 1, 0, 0], [1, 1, 0, 0, 0]), // L6
      row('inbound', null, [5, 5, 0, 5, 4, 3, 1], [7, 3, 1, 2, 0.3333]), // L1–L4, L9; a re-route keeps the rule
      row('partners', null, [1, 1, 0, 1, 1, 1, 0], [1, 1, 0, 0, 0]), // L5
      row(null, null, [2, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, null]), // L7, L8
    ])
  })

  t.test('groupBy=source and groupBy=tier', async (t) => {
    await check(t, 'source', [
      row('event', null, [1, 1, 0, 1, 1, 0, 0], [1, 1, 0, 0, 0]),
      row('partner', null, [1, 1, 0, 1, 1, 1, 0], [1, 1, 0, 0, 0]),
      row('web', null, [7, 5, 1, 5, 4, 3, 1], [8, 4, 1, 2, 0.2857]),
    ])
    await check(t, 'tier', [
      row('demo', null, [6, 6, 0, 6, 5, 4, 1], [8, 5, 0, 2, 0.2857]), // L1, L2, L4, L5, L6, L9
      row('high', null, [1, 1, 0, 1, 1, 0, 0], [2, 1, 1, 0, 0]), // L3
      row(null, null, [2, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, null]), // L7, L8 were never tiered
    ])
  })

  t.test('the range: from inclusive, to exclusive, to the millisecond', async (t) => {
    const received = async (from: number, to: number) => {
      const { total } = await metrics({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })
      return [total.funnel.received, total.handoffs.offered]
    }
    const L2 = T0 + 2 * HOUR * 1000
    t.same(await received(T0, T0 + 1), [1, 1], 'L1 arrived at `from`')
    t.same(await received(T0 - 1, T0), [0, 0], 'L1 arrived at `to`: not in')
    t.same(await received(T0, L2), [1, 1], 'L2 arrived at `to`: not in')
    t.same(await received(T0 + 1, L2 + 1), [1, 1], 'only L2')
    // L3 and L4 alone: their 5 offers, whenever made.
    t.same(await received(T0 + 4 * HOUR * 1000, T0 + 8 * HOUR * 1000), [2, 5])
    const l3l4 = await metrics({ from: iso(4 * HOUR), to: iso(8 * HOUR) })
    t.same(l3l4.total.timeToAcceptSeconds, secs(2, 1981, 3325.8, 3628.38), '[300, 3662]: 300 + p·3362: 1981, 3325.8, 3628.38')
  })

  t.test('an empty range answers zeros, null percentiles and no groups', async (t) => {
    const answer = await metrics({ from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z', groupBy: 'rep' })
    t.same(answer, {
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
      groupBy: 'rep',
      groups: [],
      total: {
        funnel: { received: 0, qualified: 0, disqualified: 0, assigned: 0, accepted: 0, contacted: 0, converted: 0 },
        ...NOTHING_TIMED,
        rates: { firstContactOverdue: null, reroute: null, escalation: null },
        unroutedSeconds: NO_TIMES,
      },
    })
  })

  t.test('without from and to: the 30 days up to now', async (t) => {
    const now = h.baton.clock.now()
    const answer = await metrics({})
    t.match(answer, {
      from: new Date(now.getTime() - 30 * 24 * HOUR * 1000).toISOString(),
      to: now.toISOString(),
      total: { funnel: { received: 9 } },
    })
  })

  t.test('bad ranges and groups', async (t) => {
    const bad = async (params: Record<string, string>, status: number, pointer: string) => {
      const res = await h.call('GET', `/v1/metrics/handoffs?${query(params)}`)
      t.equal(res.statusCode, status, JSON.stringify(params))
      t.equal(res.headers['content-type'], PROBLEM)
      t.match(res.json(), { status, code: 'validation_failed', errors: [{ pointer }] })
      return res.json()
    }
    const same = await bad({ from: day.from, to: day.from }, 422, '/from')
    t.match(same, { detail: /empty/ })
    await bad({ from: day.to, to: day.from }, 422, '/from')
    await bad({ from: iso(25 * HOUR) }, 422, '/from') // after `to`'s default, now
    const long = await bad({ from: new Date(T0 - 366 * 24 * HOUR * 1000 - 1).toISOString(), to: iso(0) }, 422, '/from')
    t.match(long, { detail: /too long/ })
    t.equal(
      (await h.call('GET', `/v1/metrics/handoffs?${query({ from: iso(-366 * 24 * HOUR), to: iso(0) })}`)).statusCode,
      200,
      'exactly 366 days is allowed; a millisecond more is not',
    )
    await bad({ groupBy: 'nonsense' }, 400, '/groupBy')
    await bad({ from: 'yesterday' }, 400, '/from')
    t.match(same.errors, [{ in: 'query', pointer: '/from' }], 'the range error points into the query')
  })

  t.test('who may read the figures', async (t) => {
    t.equal((await h.call('GET', `/v1/metrics/handoffs?${query(day)}`, undefined, 'integration')).statusCode, 200, 'an integration token')
    const rep = await h.call('GET', `/v1/metrics/handoffs?${query(day)}`, undefined, 'rep', reps.ada)
    t.equal(rep.statusCode, 403, 'a rep token')
    t.equal(rep.headers['content-type'], PROBLEM)
  })

  t.test("GET /v1/reps/:id/stats is that rep's group of groupBy=rep", async (t) => {
    const stats = (id: string, role: 'admin' | 'integration' | 'rep' = 'admin', sub?: string) =>
      h.call('GET', `/v1/reps/${id}/stats?${query(day)}`, undefined, role, sub)
    for (const [id, { label: _label, ...figures }] of Object.entries(byRep)) {
      const res = await stats(id)
      t.equal(res.statusCode, 200)
      t.same(res.json(), { repId: id, ...day, ...figures }, _label)
    }
    const dora = await stats(reps.dora)
    t.same(
      dora.json(),
      {
        repId: reps.dora,
        ...day,
        funnel: { received: 0, qualified: 0, disqualified: 0, assigned: 0, accepted: 0, contacted: 0, converted: 0 },
        ...NOTHING_TIMED,
        rates: { firstContactOverdue: null, reroute: null, escalation: null },
        unroutedSeconds: NO_TIMES,
      },
      'a rep with nothing: zeros',
    )

    t.equal((await stats(reps.ada, 'rep', reps.ada)).statusCode, 200, 'a rep reads its own')
    t.same((await stats(reps.ada, 'rep', reps.ada)).json(), (await stats(reps.ada)).json())
    const other = await stats(reps.ben, 'rep', reps.ada)
    t.equal(other.statusCode, 403, "but not another rep's")
    t.equal(other.headers['content-type'], PROBLEM)
    t.equal((await stats(reps.ben, 'integration')).statusCode, 200, 'an integration token')
    const unknown = await stats(NOBODY)
    t.equal(unknown.statusCode, 404, 'an unknown rep')
    t.equal(unknown.headers['content-type'], PROBLEM)
    const empty = await h.call('GET', `/v1/reps/${reps.ada}/stats?${query({ from: day.to, to: day.from })}`)
    t.equal(empty.statusCode, 422, 'the same range rules')
    t.equal((await h.call('GET', `/v1/reps/${reps.ada}/stats?groupBy=team`)).statusCode, 400, 'no groupBy here')
    const upper = await stats(reps.ada.toUpperCase())
    t.equal(upper.statusCode, 200)
    t.match(upper.json(), { funnel: byRep[reps.ada]!.funnel, handoffs: { offered: 4 } }, 'the id in capitals names the same rep')
  })
})

t.test('a lead that waits after its reps declined counts its wait from then to its next handoff', async (t) => {
  const h: HandoffHarness = await handoffHarness(t)
  const { repIds, teamId } = await h.setup(2)
  const unrouted = async () =>
    (await h.ok('GET', `/v1/metrics/handoffs?${query({ from: iso(0), to: iso(HOUR) })}`, undefined, 200)).total.unroutedSeconds
  const { lead, handoff } = await h.postLead() // at 0 s
  h.baton.clock.advance(60_000)
  await h.ok('POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'no' }, 200, 'rep', handoff.repId)
  h.baton.clock.advance(60_000)
  const second = await h.pendingOf(lead.id)
  await h.ok('POST', `/v1/handoffs/${second.id}/decline`, { reason: 'no' }, 200, 'rep', second.repId)
  t.match(await h.lead(lead.id), { status: 'unrouted' }, 'both reps declined at 120 s: nobody left')

  h.baton.clock.advance(300_000)
  t.same(await unrouted(), secs(1, 300), 'still waiting at 420 s: 300 s so far')
  h.baton.clock.advance(300_000)
  const third = await h.newRep()
  await h.ok('PATCH', `/v1/teams/${teamId}`, { members: [...repIds, third].map((repId) => ({ repId })) }, 200)
  t.match(await h.sweeper.sweep(), { assigned: 1 })
  t.match(await h.pendingOf(lead.id), { repId: third, attempt: 3, createdAt: iso(720) })
  t.same(await unrouted(), secs(1, 600), 'placed at 720 s: waited 600 s')
})
