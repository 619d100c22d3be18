// Issue 17 item 13: a rep token learns nothing about handoffs or reps that are not its own.
// Another rep's handoff is 404, as if it did not exist (not 403, which confirms the id);
// the routing trace a rep reads keeps its own step and the rule names, and drops every
// other rep's id, name, load, capacity and eligibility reason. Admins see the whole trace.
import t from 'tap'
import { handoffHarness, PROBLEM } from '../helpers/handoffs.ts'

interface Rep {
  id: string
  name: string
}

t.test('the routing trace shown to a rep token is about that rep only', async (t) => {
  const h = await handoffHarness(t)
  const rep = async (name: string, extra: object = {}): Promise<Rep> => ({ name, id: await h.newRep({ name, ...extra }) })
  // The VIP rule names a rep who is away; the fallback team has a busy member (at capacity),
  // an away member and the two who can take leads.
  const vip = await rep('Vera Vip-Owner', { status: 'away' })
  const busy = await rep('Bea Busy', { capacity: { maxPending: 1 } })
  const away = await rep('Otto Away', { status: 'away' })
  const first = await rep('Fay First')
  const second = await rep('Sam Second')
  const team = (
    await h.ok(
      'POST',
      '/v1/teams',
      { name: 'Closers', strategy: 'round_robin', members: [busy, away, first, second].map((r) => ({ repId: r.id })) },
      201,
    )
  ).id
  // Bea fills her one pending slot first, with a lead routed straight to her.
  await h.ok('PUT', '/v1/routing', { rules: [], fallback: { type: 'rep', repId: busy.id } }, 200)
  await h.postLead()
  await h.ok(
    'PUT',
    '/v1/routing',
    {
      rules: [
        { name: 'vip accounts', when: { field: 'signals.demoRequested', op: 'eq', value: true }, assign: { type: 'rep', repId: vip.id } },
      ],
      fallback: { type: 'team', teamId: team },
    },
    200,
  )

  const { handoff } = await h.postLead()
  const owner = [first, second].find((r) => r.id === handoff.repId)
  if (!owner) throw new Error(`the lead went to ${handoff.repId}, not to Fay or Sam`)
  const others = [vip, busy, away, first, second].filter((r) => r !== owner)

  const full = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)
  const fullText = JSON.stringify(full.trace)
  for (const other of others) t.ok(fullText.includes(other.id) && fullText.includes(other.name), `the admin's trace names ${other.name}`)
  t.match(full.trace.steps, [
    { rule: 'vip accounts', candidates: [{ repId: vip.id, reason: 'away' }] },
    { rule: 'fallback', candidates: [{}, {}, {}, {}] },
  ])

  const mine = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200, 'rep', owner.id)
  t.same({ ...mine, trace: undefined }, { ...full, trace: undefined }, 'the handoff itself is the same')
  const text = JSON.stringify(mine.trace)
  for (const other of others) {
    t.notOk(text.includes(other.id), `no id of ${other.name}`)
    t.notOk(text.includes(other.name), `no name of ${other.name}`)
  }
  t.notOk(/capacity|\d+\/\d+|\d+ of \d+|away/.test(text), `no load, capacity or eligibility figures of others: ${text}`)
  t.match(mine.trace, { version: full.trace.version, at: full.trace.at, skipped: full.trace.skipped })
  t.same(
    mine.trace.steps.map((s: { rule: string; index: number; matched: boolean; result: string }) => [s.index, s.rule, s.matched, s.result]),
    full.trace.steps.map((s: { rule: string; index: number; matched: boolean; result: string }) => [s.index, s.rule, s.matched, s.result]),
    'every step stays, with its rule name and outcome',
  )
  const [vipStep, fallbackStep] = mine.trace.steps
  t.notOk('candidates' in vipStep, 'the step about another rep lists no candidate')
  t.notOk('assign' in vipStep, 'nor the rep it targets')
  const own = full.trace.steps[1].candidates.find((c: { repId: string }) => c.repId === owner.id)
  t.same(fallbackStep.candidates, [own], "the rep's own step keeps its own eligibility and load")
  t.same(fallbackStep.team, full.trace.steps[1].team, 'and the team it was offered through')
  t.notOk('turn' in fallbackStep, "the rotation order (other reps' ids) is left out")
})

t.test('best_fit estimates, and a lead offered again after a decline', async (t) => {
  const h = await handoffHarness(t)
  const names = ['Ann Alpha', 'Bob Beta']
  const ids = [await h.newRep({ name: names[0] }), await h.newRep({ name: names[1] })] as [string, string]
  const team = (await h.ok('POST', '/v1/teams', { name: 'Fit', strategy: 'best_fit', members: ids.map((repId) => ({ repId })) }, 201)).id
  await h.routeTo(team)
  const { lead, handoff } = await h.postLead()
  const firstRep = handoff.repId as string
  const otherRep = ids.find((id) => id !== firstRep)!
  const full = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)
  t.equal(full.trace.steps[0].fit.estimates.length, 2, 'the admin sees every estimate')
  const mine = await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200, 'rep', firstRep)
  t.same(
    mine.trace.steps[0].fit,
    {
      segment: full.trace.steps[0].fit.segment,
      estimates: full.trace.steps[0].fit.estimates.filter((e: { repId: string }) => e.repId === firstRep),
    },
    'a rep sees its own estimate only',
  )
  t.notOk(JSON.stringify(mine.trace).includes(otherRep))

  // Declined: the second rep's trace lists the first as "already had this lead" for admins only.
  await h.ok('POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'not my area' }, 200, 'rep', firstRep)
  const next = await h.pendingOf(lead.id)
  t.equal(next.repId, otherRep)
  t.ok(JSON.stringify(next.trace).includes(firstRep), 'the admin sees who had it before')
  const theirs = await h.ok('GET', `/v1/handoffs/${next.id}`, undefined, 200, 'rep', otherRep)
  t.notOk(JSON.stringify(theirs.trace).includes(firstRep), 'the next rep does not')
  t.notOk(JSON.stringify(theirs.trace).includes(names[ids.indexOf(firstRep)]!))
})

t.test("another rep's handoff is 404 for GET, accept and decline", async (t) => {
  const h = await handoffHarness(t)
  const [a, b] = (await h.setup(2)).repIds as [string, string]
  const { handoff } = await h.postLead()
  const other = handoff.repId === a ? b : a
  const unknown = await h.call('GET', '/v1/handoffs/01900000-0000-7000-8000-000000000000', undefined, 'rep', other)
  for (const [method, url, payload] of [
    ['GET', `/v1/handoffs/${handoff.id}`, undefined],
    ['POST', `/v1/handoffs/${handoff.id}/accept`, undefined],
    ['POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'mine now' }],
  ] as const) {
    const res = await h.call(method, url, payload, 'rep', other)
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.equal(res.headers['content-type'], PROBLEM)
    t.match(res.json(), { code: 'not_found', detail: `No handoff with id ${handoff.id}.` }, 'worded as for an id that does not exist')
  }
  t.same(Object.keys(unknown.json()).sort(), ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'])
  t.equal(
    (await h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'integration')).statusCode,
    403,
    'an integration token is still refused by role',
  )
  t.equal((await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).status, 'pending', 'nothing changed')
})
