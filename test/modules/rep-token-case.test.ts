// A rep token's sub is the rep id in whatever case the issuer wrote it (issue 17, finding 4):
// the upper-case form of a rep's own id got 403 on its own handoff.
import t from 'tap'
import { handoffHarness } from '../helpers/handoffs.ts'

t.test('a rep token with its id in capitals acts on its own handoffs and tasks', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const { lead, handoff } = await h.postLead()
  const CAPS = handoff.repId.toUpperCase()
  t.not(CAPS, handoff.repId)

  t.match(await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200, 'rep', CAPS), { id: handoff.id }, 'reads its handoff')
  const listed = await h.ok('GET', '/v1/handoffs', undefined, 200, 'rep', CAPS)
  t.same(
    listed.data.map((x: { id: string }) => x.id),
    [handoff.id],
    'lists its handoffs',
  )
  t.match(
    await h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', CAPS),
    { status: 'accepted', repId: handoff.repId },
    'accepts its handoff',
  )
  t.match(await h.lead(lead.id), { ownerId: handoff.repId }, 'the lead is owned by the rep id, in lower case')
  const activity = await h.call('POST', `/v1/leads/${lead.id}/activities`, { type: 'call' }, 'rep', CAPS)
  t.equal(activity.statusCode, 201, 'logs an activity on its lead', { body: activity.body })
  const tasks = await h.ok('GET', '/v1/tasks', undefined, 200, 'rep', CAPS)
  t.ok(tasks.data.length > 0 && tasks.data.every((task: { repId: string }) => task.repId === handoff.repId), 'lists its own tasks')
})
