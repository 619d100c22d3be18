// Who has it now (issue 20, item 8): a lead shows the offer it waits on, and GET /v1/leads finds
// leads by email, by domain and by the rep who holds them (owned or offered), each on an index.
import t, { type Test } from 'tap'
import { listLeadsQuery, type LeadFilters } from '../../src/modules/leads/leads.repo.ts'
import { handoffHarness, NOBODY, PROBLEM, type HandoffHarness } from '../helpers/handoffs.ts'

type Listed = { data: Array<{ id: string; offer: unknown }>; nextCursor: string | null }

const list = (h: HandoffHarness, query: string): Promise<Listed> => h.ok('GET', `/v1/leads?${query}`, undefined, 200)
const idsOf = async (h: HandoffHarness, query: string) => (await list(h, query)).data.map((lead) => lead.id)
const sorted = (ids: string[]) => [...ids].sort()
const reassign = (h: HandoffHarness, leadId: string, body: object) => h.ok('POST', `/v1/leads/${leadId}/reassign`, body, 200)
const accept = (h: HandoffHarness, handoff: { id: string; repId: string }) =>
  h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', handoff.repId)
const offerOf = (handoff: { id: string; repId: string; deadlineAt: string }) => ({
  handoffId: handoff.id,
  repId: handoff.repId,
  deadlineAt: handoff.deadlineAt,
})

t.test('offer: the pending handoff while it waits, null once it is answered', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const posted = await h.postLead()
  const offer = offerOf(posted.handoff)
  t.same(posted.lead.offer, offer, 'the POST answer names the offer routing just made')
  t.same((await h.lead(posted.lead.id)).offer, offer, 'GET /v1/leads/:id: handoffId, repId and deadlineAt of the handoff')
  const [row] = await h.sql<{ deadline_at: Date }>('select deadline_at from handoffs where id = $1', [posted.handoff.id])
  t.equal(offer.deadlineAt, row!.deadline_at.toISOString(), "the handoff's own deadline")
  t.same((await list(h, '')).data.find((lead) => lead.id === posted.lead.id)?.offer, offer, 'and the list')

  const again = await h.call('POST', '/v1/leads', { email: posted.lead.email, signals: { demoRequested: true } }, 'integration')
  t.same([again.statusCode, again.json().lead.offer], [200, offer], 'a duplicate submission still waits on the same offer')

  const reader = await h.call('GET', `/v1/leads/${posted.lead.id}`, undefined, 'rep', posted.handoff.repId)
  t.same(reader.json().offer, offer, 'the offered rep reads its own offer')

  await accept(h, posted.handoff)
  t.match(await h.lead(posted.lead.id), { status: 'accepted', ownerId: posted.handoff.repId, offer: null }, 'accepted: owned, no offer')
})

async function declinedByTheOnlyRep(t: Test, env: Record<string, string>, status: string) {
  const h = await handoffHarness(t, { env })
  await h.setup(1)
  const { lead, handoff } = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'busy' }, 200, 'rep', handoff.repId)
  t.match(await h.lead(lead.id), { status, ownerId: null, offer: null }, `${status}: nothing waits`)
  t.same(await idsOf(h, `repId=${handoff.repId}`), [], 'and the rep who declined holds nothing')
}

t.test('declined with nobody left: unrouted, no offer', (t) => declinedByTheOnlyRep(t, {}, 'unrouted'))
t.test('declined with no attempts left: escalated, no offer', (t) => declinedByTheOnlyRep(t, { HANDOFF_MAX_ATTEMPTS: '1' }, 'escalated'))

/**
 * Five leads placed on purpose (the router rep's own offers are withdrawn by each reassign):
 * offered to A; owned by A; owned by B and offered to A; offered to B; owned by B.
 */
async function placed(t: Test) {
  const h = await handoffHarness(t)
  await h.setup(1)
  const [a, b, c] = [await h.newRep(), await h.newRep(), await h.newRep()]
  const post = async (email: string, website?: string) => {
    const body = { email, signals: { demoRequested: true }, ...(website ? { website } : {}) }
    return (await h.ok('POST', '/v1/leads', body, 201, 'integration')).lead.id as string
  }
  const offeredA = await post('ann@acme.example')
  await reassign(h, offeredA, { repId: a })
  const ownedA = await post('bob@acme.example')
  await reassign(h, ownedA, { repId: a, mode: 'transfer' })
  const ownedBOfferedA = await post('cy@globex.example')
  await reassign(h, ownedBOfferedA, { repId: b, mode: 'transfer' })
  const offer = (await reassign(h, ownedBOfferedA, { repId: a })).handoff
  const offeredB = await post('dee@gmail.example', 'https://www.Initech.example/contact')
  await reassign(h, offeredB, { repId: b })
  const ownedB = await post('eve@initech.example')
  await reassign(h, ownedB, { repId: b, mode: 'transfer' })
  return { h, a, b, c, offer, leads: { offeredA, ownedA, ownedBOfferedA, offeredB, ownedB } }
}

t.test('repId: the leads a rep owns now or is offered, and no one else’s', async (t) => {
  const { h, a, b, c, offer, leads } = await placed(t)
  t.same(
    await idsOf(h, `repId=${a}`),
    sorted([leads.offeredA, leads.ownedA, leads.ownedBOfferedA]),
    'A: offered, owned, offered while B owns',
  )
  t.same(
    await idsOf(h, `repId=${b}`),
    sorted([leads.ownedBOfferedA, leads.offeredB, leads.ownedB]),
    'B: owned (offered to A too), offered, owned',
  )
  t.same(await idsOf(h, `repId=${c}`), [], 'a rep who holds nothing')
  t.same(await list(h, `repId=${NOBODY}`), { data: [], nextCursor: null }, 'an unknown but well-formed rep id: an empty list')
  t.same(await idsOf(h, `repId=${a}&status=accepted`), [leads.ownedA, leads.ownedBOfferedA].sort(), 'combined with status')
  t.same(await idsOf(h, `repId=${b}&status=pending_acceptance`), [leads.offeredB])
  t.same(await idsOf(h, `repId=${a}&ownerId=${b}`), [leads.ownedBOfferedA], 'and with ownerId')

  const both = (await list(h, `repId=${a}&status=accepted`)).data.find((lead) => lead.id === leads.ownedBOfferedA)
  t.match(both, { ownerId: b, offer: { handoffId: offer.id, repId: a, deadlineAt: offer.deadlineAt } }, 'owned by B, offered to A')

  const logged = await h.ok('POST', `/v1/leads/${leads.ownedBOfferedA}/activities`, { type: 'call' }, 201, 'rep', b)
  t.same(logged.lead.offer, offerOf(offer), "the owner's activity answer shows the offer too")
  const won = await h.ok('POST', `/v1/leads/${leads.ownedBOfferedA}/outcome`, { result: 'won', amount: 10 }, 200)
  t.same(won.offer, offerOf(offer), 'and the outcome answer')
  t.same((await h.ok('POST', `/v1/leads/${leads.ownedBOfferedA}/outcome`, { result: 'won', amount: 10 }, 200)).offer, offerOf(offer))
  const closed = await h.ok('POST', `/v1/leads/${leads.ownedBOfferedA}/close`, { reason: 'dup' }, 200)
  t.equal(closed.offer, null, 'closing withdraws it')
  t.same(await idsOf(h, `repId=${a}`), sorted([leads.offeredA, leads.ownedA]), 'and A no longer holds it')
})

t.test('email and domain: compared as leads store them', async (t) => {
  const { h, leads } = await placed(t)
  t.same(await idsOf(h, `email=${encodeURIComponent(' CY@Globex.Example ')}`), [leads.ownedBOfferedA], 'email, any case and spacing')
  t.same(await idsOf(h, 'email=cy%40globex.examples'), [], 'exact, not a prefix')
  t.same(await idsOf(h, 'domain=acme.example'), sorted([leads.offeredA, leads.ownedA]))
  t.same(await idsOf(h, 'domain=WWW.ACME.example.'), sorted([leads.offeredA, leads.ownedA]), 'the domain normalised first')
  t.same(await idsOf(h, 'domain=initech.example'), sorted([leads.offeredB, leads.ownedB]), "a website's domain, not the mailbox's")
  t.same(await idsOf(h, 'domain=gmail.example'), [])
  t.same(await idsOf(h, 'domain=acme.example&status=accepted'), [leads.ownedA], 'combined with status')
  t.same(await idsOf(h, `domain=acme.example&email=ann%40acme.example`), [leads.offeredA], 'and with each other')

  for (const bad of ['not a domain', '10.0.0.1', 'acme', 'acme.example/path']) {
    const res = await h.call('GET', `/v1/leads?domain=${encodeURIComponent(bad)}`)
    t.equal(res.statusCode, 422, `"${bad}": 422`)
    t.equal(res.headers['content-type'], PROBLEM)
    t.match(res.json(), { code: 'validation_failed', errors: [{ in: 'query', pointer: '/domain' }] }, 'naming the parameter')
  }
  const badRep = await h.call('GET', '/v1/leads?repId=nobody')
  t.match([badRep.statusCode, badRep.json()], [400, { errors: [{ in: 'query', pointer: '/repId' }] }], 'a repId that is no uuid: 400')
})

t.test('a filter pages like the whole list', async (t) => {
  const { h, a, leads } = await placed(t)
  const all = sorted([leads.offeredA, leads.ownedA, leads.ownedBOfferedA])
  const first = await list(h, `repId=${a}&limit=2`)
  t.same(
    first.data.map((lead) => lead.id),
    all.slice(0, 2),
  )
  t.type(first.nextCursor, 'string')
  const second = await list(h, `repId=${a}&limit=2&cursor=${first.nextCursor}`)
  t.same(
    second.data.map((lead) => lead.id),
    all.slice(2),
  )
  t.equal(second.nextCursor, null, 'the last page')
  const domainPage = await list(h, 'domain=acme.example&limit=1')
  const rest = await list(h, `domain=acme.example&limit=1&cursor=${domainPage.nextCursor}`)
  t.same(
    [...domainPage.data, ...rest.data].map((lead) => lead.id),
    sorted([leads.offeredA, leads.ownedA]),
  )
  t.equal(rest.nextCursor, null, 'two leads, two pages')
})

t.test('rep tokens: the list stays an admin or integration read', async (t) => {
  const { h, a } = await placed(t)
  const res = await h.call('GET', `/v1/leads?repId=${a}`, undefined, 'rep', a)
  t.equal(res.statusCode, 403, 'not even for its own leads')
  t.equal(res.headers['content-type'], PROBLEM)
})

/** The index scans of the plan of exactly the statement the list runs (sequential scans off, as on a big table). */
async function indexesUsed(h: HandoffHarness, filters: Omit<LeadFilters, 'limit'>) {
  const { sql, params } = listLeadsQuery(h.baton.deps.db, { ...filters, limit: 50 }).toSQL()
  const client = await h.baton.deps.pool.connect()
  try {
    await client.query('begin')
    await client.query('set local enable_seqscan = off')
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sql}`, params)
    await client.query('rollback')
    const plan = JSON.stringify(rows[0]!['QUERY PLAN'])
    return { seqScans: plan.match(/"Seq Scan"/g)?.length ?? 0, indexes: [...new Set(plan.match(/(?<="Index Name":")[a-z_]+/g))].sort() }
  } finally {
    client.release()
  }
}

t.test('each filter has its index', async (t) => {
  const { h, a } = await placed(t)
  await h.sql('analyze leads; analyze handoffs')
  const email = await indexesUsed(h, { email: 'ann@acme.example' })
  t.match(email, { seqScans: 0, indexes: ['handoffs_one_pending_per_lead', 'leads_email_idx'] }, 'email: leads_email_idx')
  const domain = await indexesUsed(h, { domain: 'acme.example', after: NOBODY })
  t.match(domain, { seqScans: 0, indexes: ['handoffs_one_pending_per_lead', 'leads_domain_idx'] }, 'domain: leads_domain_idx')
  const rep = await indexesUsed(h, { repId: a, status: 'accepted' })
  t.equal(rep.seqScans, 0, 'repId: no sequential scan')
  t.ok(rep.indexes.includes('leads_owner_idx'), 'repId: the owned leads by leads_owner_idx')
  t.ok(rep.indexes.includes('handoffs_rep_idx'), 'repId: the offered ones by handoffs_rep_idx')
  t.comment(JSON.stringify({ email, domain, rep }))
})
