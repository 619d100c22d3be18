// Who may move people's work (issue 20), one row per case: reassigning a lead, handing a rep's
// work back, changing and deleting a rep, as a rep, a manager, an integration and an admin.
// Every refusal writes nothing; so do the bad requests at the end.
import t, { type Test } from 'tap'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'

/**
 * Two teams of two reps. Mona is Team A's manager (teams.managerId) and Team A's first rep's
 * managerId; Team B has no manager. Demo leads go to Team A, the others to Team B.
 */
async function world(t: Test) {
  const h = await handoffHarness(t)
  const mona = await h.newRep({ name: 'Mona Manager' })
  const teamA = [await h.newRep({ managerId: mona }), await h.newRep()]
  const a = await h.newTeam(teamA, mona)
  const teamB = [await h.newRep(), await h.newRep()] // (newTeam names a team after the reps made so far)
  const b = await h.newTeam(teamB)
  await h.ok(
    'PUT',
    '/v1/routing',
    {
      rules: [{ name: 'demos', when: { field: 'signals.demoRequested', op: 'eq', value: true }, assign: { type: 'team', teamId: a } }],
      fallback: { type: 'team', teamId: b },
    },
    200,
  )
  let n = 0
  const lead = async (team: 'A' | 'B') => {
    const signals = team === 'A' ? { demoRequested: true } : { pricingPageViews: 4 }
    const body = { email: `matrix${++n}@acme.example`, employees: 300, signals }
    return h.ok('POST', '/v1/leads', body, 201, 'integration') as Promise<{ lead: { id: string }; handoff: { id: string; repId: string } }>
  }
  return { h, mona, teamA, teamB, lead }
}

/** Everything a refused request could have written. */
const rows = (h: HandoffHarness) =>
  h.sql(`select
    (select json_agg(l order by id) from (select id, status, owner_id, updated_at from leads) l) as leads,
    (select json_agg(x order by id) from (select id, rep_id, status, updated_at from handoffs) x) as handoffs,
    (select json_agg(r order by id) from (select id, status, manager_id, deleted_at, updated_at from reps) r) as reps,
    (select json_agg(w order by rep_id) from rep_workload w) as loads,
    (select count(*)::int from tasks) as tasks,
    (select count(*)::int from events) as events`)

/** The request answers `status` and, when it is a refusal, changes no row. */
async function answers(t: Test, h: HandoffHarness, status: number, request: () => ReturnType<HandoffHarness['call']>) {
  const before = await rows(h)
  const res = await request()
  t.equal(res.statusCode, status, res.statusCode === status ? 'the status' : res.body)
  if (status >= 400) {
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.same(await rows(h), before, 'no row changed')
  }
  return res
}

const reassign = (h: HandoffHarness, leadId: string, body: object, role: 'admin' | 'integration' | 'rep', sub?: string) =>
  h.call('POST', `/v1/leads/${leadId}/reassign`, body, role, sub)
const handBack = (h: HandoffHarness, repId: string, role: 'admin' | 'integration' | 'rep', sub?: string) =>
  h.call('POST', `/v1/reps/${repId}/hand-back`, { include: 'open' }, role, sub)

t.test('a rep cannot reassign the lead offered to it: 403', async (t) => {
  const { h, teamA, lead } = await world(t)
  const { lead: l, handoff } = await lead('A')
  const other = teamA.find((id) => id !== handoff.repId)!
  await answers(t, h, 403, () => reassign(h, l.id, { repId: other, reason: 'swap' }, 'rep', handoff.repId))
})

t.test('a rep cannot reassign a lead it was never offered: 404, as if there were none', async (t) => {
  const { h, teamB, lead } = await world(t)
  const { lead: l } = await lead('A')
  await answers(t, h, 404, () => reassign(h, l.id, { reason: 'mine now' }, 'rep', teamB[0]))
})

t.test('a rep cannot hand back its own work: 403', async (t) => {
  const { h, lead } = await world(t)
  const { handoff } = await lead('A')
  await answers(t, h, 403, () => handBack(h, handoff.repId, 'rep', handoff.repId))
})

t.test("a rep cannot hand back another rep's work: 403", async (t) => {
  const { h, teamA, lead } = await world(t)
  const { handoff } = await lead('A')
  await answers(t, h, 403, () =>
    handBack(
      h,
      handoff.repId,
      'rep',
      teamA.find((id) => id !== handoff.repId),
    ),
  )
})

t.test('a rep cannot PATCH another rep, not even its availability: 403', async (t) => {
  const { h, teamA } = await world(t)
  await answers(t, h, 403, () => h.call('PATCH', `/v1/reps/${teamA[1]}`, { status: 'away' }, 'rep', teamA[0]))
})

t.test('a rep cannot DELETE a rep, itself included: 403', async (t) => {
  const { h, teamA } = await world(t)
  await answers(t, h, 403, () => h.call('DELETE', `/v1/reps/${teamA[1]}`, undefined, 'rep', teamA[0]))
  await answers(t, h, 403, () => h.call('DELETE', `/v1/reps/${teamA[0]}?handBack=open`, undefined, 'rep', teamA[0]))
})

t.test("a manager cannot reassign another team's lead, nor learn of it: 404", async (t) => {
  const { h, mona, lead } = await world(t)
  const { lead: l } = await lead('B')
  const res = await answers(t, h, 404, () => reassign(h, l.id, { reason: 'take over' }, 'rep', mona))
  const missing = await answers(t, h, 404, () => reassign(h, '01900000-0000-7000-8000-000000000000', { reason: 'x' }, 'rep', mona))
  t.equal(res.json().detail.replace(l.id, 'ID'), missing.json().detail.replace(/\S+\.$/, 'ID.'), 'the same answer as for no lead')
})

t.test('a manager cannot hand back a rep who is not theirs: 403', async (t) => {
  const { h, mona, teamB, lead } = await world(t)
  await lead('B')
  await answers(t, h, 403, () => handBack(h, teamB[0]!, 'rep', mona))
})

t.test("a manager reassigns their own team's lead: 200", async (t) => {
  const { h, mona, teamA, lead } = await world(t)
  const { lead: l, handoff } = await lead('A')
  const other = teamA.find((id) => id !== handoff.repId)!
  const res = await answers(t, h, 200, () => reassign(h, l.id, { repId: other, reason: 'coverage' }, 'rep', mona))
  t.match(res.json(), { handoff: { repId: other, status: 'pending' } })
  const [event] = (await h.events(l.id)).filter((e) => e.type === 'lead.reassigned')
  t.match(event!.data.actor, { type: 'manager', id: mona })
})

t.test('a manager hands back the work of a rep they are the managerId of: 200', async (t) => {
  const { h, mona, teamA, lead } = await world(t)
  let pending = 0
  while (pending === 0) if ((await lead('A')).handoff.repId === teamA[0]) pending++
  const res = await answers(t, h, 200, () => handBack(h, teamA[0]!, 'rep', mona))
  t.same(res.json(), { pending: 1, leads: 0 })
})

t.test('a manager hands back the work of a member of the team they manage: 200', async (t) => {
  const { h, mona, teamA, lead } = await world(t)
  let pending = 0
  while (pending === 0) if ((await lead('A')).handoff.repId === teamA[1]) pending++
  const res = await answers(t, h, 200, () => handBack(h, teamA[1]!, 'rep', mona))
  t.same(res.json(), { pending: 1, leads: 0 }, 'Team A manager, though not its managerId')
})

t.test('an integration cannot reassign without a reason: 422 naming reason', async (t) => {
  const { h, teamB, lead } = await world(t)
  const { lead: l, handoff } = await lead('B')
  const other = teamB.find((id) => id !== handoff.repId)!
  const res = await answers(t, h, 422, () => reassign(h, l.id, { repId: other }, 'integration'))
  t.match(res.json().errors, [{ in: 'body', pointer: '/reason' }])
})

t.test('an integration reassigns when it names a reason: 200', async (t) => {
  const { h, lead } = await world(t)
  const { lead: l } = await lead('B')
  const res = await answers(t, h, 200, () => reassign(h, l.id, { reason: 'CRM sync' }, 'integration'))
  t.match(res.json(), { lead: { status: 'pending_acceptance' } })
})

t.test('an integration cannot hand back or delete a rep: 403', async (t) => {
  const { h, teamB } = await world(t)
  await answers(t, h, 403, () => handBack(h, teamB[0]!, 'integration'))
  await answers(t, h, 403, () => h.call('DELETE', `/v1/reps/${teamB[0]}`, undefined, 'integration'))
})

t.test('an admin reassigns, hands back, changes and deletes any rep', async (t) => {
  const { h, teamA, teamB, lead } = await world(t)
  const { lead: l, handoff } = await lead('B')
  const other = teamB.find((id) => id !== handoff.repId)!
  await answers(t, h, 200, () => reassign(h, l.id, { repId: other, mode: 'transfer' }, 'admin'))
  await answers(t, h, 200, () => handBack(h, other, 'admin'))
  await answers(t, h, 200, () => h.call('PATCH', `/v1/reps/${teamA[1]}`, { status: 'away', capacity: { maxPending: 2 } }))
  await answers(t, h, 204, () => h.call('DELETE', `/v1/reps/${teamA[1]}`))
  const { handoff: held } = await lead('B')
  const deleted = await answers(t, h, 200, () => h.call('DELETE', `/v1/reps/${held.repId}?handBack=open`))
  t.same(deleted.json(), { id: held.repId, deleted: true, handedBack: { pending: 1, leads: 0 } })
})

t.test('a deleted rep cannot be offered a lead: 422 naming repId, and nothing is written', async (t) => {
  const { h, lead } = await world(t)
  const gone = await h.newRep({ name: 'Gone' })
  await h.ok('DELETE', `/v1/reps/${gone}`, undefined, 204)
  const { lead: l } = await lead('B')
  for (const mode of ['offer', 'transfer']) {
    const res = await answers(t, h, 422, () => reassign(h, l.id, { repId: gone, mode, reason: 'x' }, 'admin'))
    t.match(res.json().errors, [{ in: 'body', pointer: '/repId' }], mode)
  }
})
