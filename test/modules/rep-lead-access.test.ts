// Reps read what they hold (issue 20): a lead it was ever offered, and its timeline; any other
// lead is a 404 exactly like one that does not exist.
import t from 'tap'
import { handoffHarness, NOBODY } from '../helpers/handoffs.ts'

t.test('a rep reads the leads it was offered, and no others', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  const first = await h.postLead()
  const [offered, other] = [first.handoff.repId as string, repIds.find((id) => id !== first.handoff.repId)!]
  const read = (leadId: string, repId: string, suffix = '') => h.call('GET', `/v1/leads/${leadId}${suffix}`, undefined, 'rep', repId)

  const lead = await read(first.lead.id, offered)
  t.equal(lead.statusCode, 200, 'the offered rep reads it')
  t.match(lead.json(), { id: first.lead.id, email: first.lead.email, status: 'pending_acceptance' })
  const timeline = await read(first.lead.id, offered, '/timeline')
  t.equal(timeline.statusCode, 200)
  const assigned = timeline.json().data.find((e: { type: string }) => e.type === 'lead.assigned')
  t.notOk('acceptUrl' in assigned.data, 'without the accept link, a credential only admins see')

  const hidden = await read(first.lead.id, other)
  const missing = await read(NOBODY, other)
  t.equal(hidden.statusCode, 404, 'another rep: 404, not 403')
  t.equal(missing.statusCode, 404)
  t.same(
    { ...hidden.json(), instance: null, requestId: null, detail: hidden.json().detail.replace(first.lead.id, 'ID') },
    { ...missing.json(), instance: null, requestId: null, detail: missing.json().detail.replace(NOBODY, 'ID') },
    'the same answer as a lead that does not exist',
  )
  t.equal((await read(first.lead.id, other, '/timeline')).statusCode, 404)

  // Declined: the rep was offered it, so it may still read what became of it.
  await h.ok('POST', `/v1/handoffs/${first.handoff.id}/decline`, { reason: 'busy' }, 200, 'rep', offered)
  t.equal((await read(first.lead.id, offered)).statusCode, 200, 'still readable after declining')
  t.equal((await read(first.lead.id, other)).statusCode, 200, 'and now the rep it moved on to reads it too')
  const declinedAs = async (repId: string) =>
    (await read(first.lead.id, repId, '/timeline')).json().data.find((e: { type: string }) => e.type === 'handoff.declined').data
  const seenByOther = await declinedAs(other)
  t.notOk('reason' in seenByOther, 'the next rep does not read why the first declined')
  t.same(seenByOther.rep, { id: offered, name: (await declinedAs(offered)).rep.name }, 'nor their email')
  t.equal(seenByOther.handoff.reason, null)
  t.match(await declinedAs(offered), { reason: 'busy', rep: { email: /@/ } }, 'the rep who declined reads their own reason')
  t.equal(
    (await h.call('GET', '/v1/leads', undefined, 'rep', offered)).statusCode,
    403,
    'listing every lead stays an admin or integration read',
  )
})
