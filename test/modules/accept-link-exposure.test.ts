// An accept link accepts as its rep with no other credential. It reaches the rep's own
// channels and admins; integration tokens and webhook receivers not opted in never see it
// (issue 17, finding 1: an integration token read it from GET /v1/events and accepted).
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'

type Event = { type: string; data: Record<string, unknown> }
const assignedOf = (events: Event[]) => events.find((event) => event.type === 'lead.assigned')

/** The lead.assigned event of `leadId` in the feed as `role` reads it. */
async function inFeed(h: HandoffHarness, leadId: string, role: 'admin' | 'integration'): Promise<Event | undefined> {
  const feed = await h.ok('GET', '/v1/events?types=lead.assigned&limit=500', undefined, 200, role)
  return (feed.data as Event[]).find((event) => (event.data.lead as { id: string }).id === leadId)
}

t.test('GET /v1/events and the timeline show acceptUrl to admins only', async (t) => {
  const h = await handoffHarness(t, { env: { PUBLIC_URL: 'https://baton.example' } })
  await h.setup(1)
  const { lead, handoff } = await h.postLead()

  const forIntegration = await inFeed(h, lead.id, 'integration')
  t.ok(forIntegration, 'the integration token sees the lead.assigned event')
  t.notOk('acceptUrl' in forIntegration!.data, 'integration feed: no acceptUrl')
  t.match(
    forIntegration!.data,
    { lead: { id: lead.id }, handoff: { id: handoff.id }, rep: { id: handoff.repId } },
    'integration feed: the rest of the event',
  )
  t.notMatch(JSON.stringify(forIntegration), /token=/, 'integration feed: no token anywhere')

  const forAdmin = await inFeed(h, lead.id, 'admin')
  t.match(forAdmin?.data.acceptUrl, /^https:\/\/baton\.example\/v1\/handoffs\/accept\?token=/, 'admin feed: the link')

  const timeline = async (role: 'admin' | 'integration') =>
    assignedOf((await h.ok('GET', `/v1/leads/${lead.id}/timeline`, undefined, 200, role)).data)
  t.notOk('acceptUrl' in (await timeline('integration'))!.data, 'integration timeline: no acceptUrl')
  t.match((await timeline('admin'))!.data.acceptUrl, /token=/, 'admin timeline: the link')

  const stored = assignedOf(await h.events(lead.id))
  t.match(stored?.data.acceptUrl, /token=/, 'the event row keeps the link for the readers allowed it')
})

t.test('the probe: an integration token finds no link to accept with, and its own accept is 403', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const { lead, handoff } = await h.postLead()
  for (const url of ['/v1/events?limit=500', `/v1/leads/${lead.id}/timeline`, `/v1/leads/${lead.id}`]) {
    const res = await h.call('GET', url, undefined, 'integration')
    t.equal(res.statusCode, 200, `${url}: readable`)
    t.notMatch(res.body, /handoffs\/accept\?token=/, `${url}: no accept link`)
  }
  t.equal(
    (await h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'integration')).statusCode,
    403,
    'the API accept is for reps and admins',
  )
  const [row] = await h.sql<{ status: string }>('select status from handoffs where id = $1', [handoff.id])
  t.equal(row?.status, 'pending', 'the handoff still waits for its rep')
})

t.test('webhooks: lead.assigned carries the link only to an endpoint opted in with includeAcceptLinks', async (t) => {
  const h = await handoffHarness(t, { realTime: true, env: { WEBHOOK_RETRY_SCHEDULE: '0,0.2', WEBHOOK_TIMEOUT_SECONDS: '1' } })
  await h.setup(1)
  const plain = await startReceiver(t)
  const optedIn = await startReceiver(t)
  const chat = await startReceiver(t)
  const filter = { eventTypes: ['lead.assigned'] }
  const plainEndpoint = await h.ok('POST', '/v1/webhook-endpoints', { url: plain.url(), ...filter }, 201)
  t.equal(plainEndpoint.includeAcceptLinks, false, 'off by default')
  const optedInEndpoint = await h.ok('POST', '/v1/webhook-endpoints', { url: optedIn.url(), ...filter, includeAcceptLinks: true }, 201)
  t.equal(optedInEndpoint.includeAcceptLinks, true)
  await h.ok('POST', '/v1/webhook-endpoints', { url: chat.url(), kind: 'slack', ...filter }, 201)

  const { lead } = await h.postLead()
  await waitFor(async () => plain.received.length >= 1 && optedIn.received.length >= 1 && chat.received.length >= 1, 5000)

  const plainBody = new Webhook(plainEndpoint.secret).verify(
    plain.received[0]!.body,
    plain.received[0]!.headers as Record<string, string>,
  ) as Event
  t.match(plainBody, { type: 'lead.assigned', data: { lead: { id: lead.id } } }, 'the default endpoint gets the event, signed')
  t.notOk('acceptUrl' in plainBody.data, 'the default endpoint: no acceptUrl')
  const optedInBody = new Webhook(optedInEndpoint.secret).verify(
    optedIn.received[0]!.body,
    optedIn.received[0]!.headers as Record<string, string>,
  ) as Event
  t.match(optedInBody.data.acceptUrl, /handoffs\/accept\?token=/, 'the endpoint opted in: the link')
  t.notMatch(chat.received[0]!.body, /token=/, 'a Slack channel not opted in: no link, no Accept button')
  t.match(chat.received[0]!.body, /New lead for/, 'and still the readable message')
})
