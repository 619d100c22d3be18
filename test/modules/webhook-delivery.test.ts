// Outbound webhooks end to end: events fan out to endpoints in their transaction, are
// signed per Standard Webhooks (checked with the official verifier), retried on the
// configured schedule, and every attempt is recorded.
import t, { type Test } from 'tap'
import { Webhook } from 'standardwebhooks'
import { newId } from '../../src/lib/ids.ts'
import { insertAttempts } from '../../src/modules/webhooks/deliveries.repo.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'
import { handoffHarness } from '../helpers/handoffs.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'

const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2', WEBHOOK_TIMEOUT_SECONDS: '1' }

/** A Baton on the real clock, one endpoint for lead.received, and a lead per email, posted and delivered. */
async function deliveredLeads(t: Test, emails: string[]) {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const api = apiClient(baton)
  const receiver = await startReceiver(t)
  const endpoint = await api.ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  for (const email of emails) await api.ok('POST', '/v1/leads', { email }, 201, 'integration')
  await waitFor(async () => receiver.received.length >= emails.length, 5000)
  return { baton, ...api, receiver, endpoint }
}

/** The endpoint's newest delivery once it has succeeded; undefined if it has not within `ms`. */
const newestSucceeded = (ok: ReturnType<typeof apiClient>['ok'], endpointId: string, ms: number) =>
  waitFor(async () => {
    const page = await ok('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, undefined, 200)
    return page.data[0]?.status === 'succeeded' ? page.data[0] : undefined
  }, ms)

t.test('a new lead reaches a subscribed endpoint, signed and verifiable', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const { ok } = apiClient(baton)
  const receiver = await startReceiver(t)
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  const { lead } = await ok('POST', '/v1/leads', { email: 'first@acme.example', company: 'Acme' }, 201, 'integration')

  await waitFor(async () => receiver.received.length >= 1, 5000)
  t.equal(receiver.received.length, 1, 'one delivery: only lead.received matches the filter')
  const [got] = receiver.received
  const payload = new Webhook(endpoint.secret).verify(got!.body, got!.headers as Record<string, string>) as Record<string, unknown>
  t.match(payload, { type: 'lead.received', sequence: 1, data: { lead: { id: lead.id, email: 'first@acme.example' } } })
  t.equal(got!.headers['webhook-id'], payload.id, 'webhook-id is the event id')

  const deliveries = await waitFor(async () => {
    const page = await ok('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, undefined, 200)
    return page.data[0]?.status === 'succeeded' ? page : undefined
  }, 5000)
  t.match(deliveries?.data, [
    {
      status: 'succeeded',
      eventType: 'lead.received',
      attemptCount: 1,
      attempts: [{ number: 1, statusCode: 200, errorClass: null, responseBody: 'ok' }],
    },
  ])
})

t.test('500 three times, then 200: delivered on the fourth attempt, every attempt logged', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const { ok } = apiClient(baton)
  const receiver = await startReceiver(t, (_r, res, index) =>
    index < 3 ? res.writeHead(500).end(`boom ${index}`) : res.writeHead(204).end(),
  )
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  await ok('POST', '/v1/leads', { email: 'retry@acme.example' }, 201, 'integration')

  const delivery = await newestSucceeded(ok, endpoint.id, 10_000)
  t.equal(delivery?.attemptCount, 4)
  t.match(delivery?.attempts, [
    { number: 1, statusCode: 500, errorClass: 'http', responseBody: 'boom 0' },
    { number: 2, statusCode: 500, errorClass: 'http', responseBody: 'boom 1' },
    { number: 3, statusCode: 500, errorClass: 'http', responseBody: 'boom 2' },
    { number: 4, statusCode: 204, errorClass: null, responseBody: null },
  ])
  const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']))
  t.equal(ids.size, 1, 'the same webhook-id on every retry')
})

t.test('an endpoint failing for 5 days with no success is disabled, with an event to the others', async (t) => {
  const baton = await buildTestApp(t, { env: { WEBHOOK_RETRY_SCHEDULE: '0', WEBHOOK_TIMEOUT_SECONDS: '1' } })
  const { ok } = apiClient(baton)
  const failing = await startReceiver(t, (_r, res) => res.writeHead(500).end('down'))
  const watcher = await startReceiver(t)
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: failing.url(), eventTypes: ['lead.received'], description: 'CRM' }, 201)
  await ok('POST', '/v1/webhook-endpoints', { url: watcher.url(), eventTypes: ['webhook_endpoint.*'] }, 201)
  const state = () => ok('GET', `/v1/webhook-endpoints/${endpoint.id}`, undefined, 200)
  const attempts = async (n: number) => waitFor(async () => failing.received.length >= n, 5000)

  const firstFailure = baton.clock.now().toISOString()
  await ok('POST', '/v1/leads', { email: 'day0@acme.example' }, 201, 'integration')
  await attempts(1)
  const afterFirst = await waitFor(async () => ((await state()).failingSince ? state() : undefined), 5000)
  t.match(afterFirst, { enabled: true, failingSince: firstFailure }, 'the streak starts at the first failure')

  baton.clock.advance(4 * 24 * 3600 * 1000)
  await ok('POST', '/v1/leads', { email: 'day4@acme.example' }, 201, 'integration')
  await attempts(2)
  await waitFor(
    async () => (await ok('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=failed`, undefined, 200)).data.length === 2,
    5000,
  )
  t.match(await state(), { enabled: true, failingSince: firstFailure }, 'four days: still enabled, the streak still counted from day 0')

  baton.clock.advance(24 * 3600 * 1000)
  await ok('POST', '/v1/leads', { email: 'day5@acme.example' }, 201, 'integration')
  await attempts(3)
  const disabled = await waitFor(async () => ((await state()).enabled ? undefined : state()), 5000)
  t.match(disabled, { enabled: false, disabledReason: /failed since .* \(5 days\)/ })
  await waitFor(async () => watcher.received.length >= 1, 5000)
  const disabledEvent = JSON.parse(watcher.received[0]!.body)
  t.match(disabledEvent, {
    type: 'webhook_endpoint.disabled',
    sequence: null,
    data: { endpoint: { id: endpoint.id, description: 'CRM', origin: new URL(failing.url()).origin } },
  })
  t.notOk(watcher.received[0]!.body.includes('/hook'), "never the URL's path or query (they can be credentials)")

  await ok('POST', '/v1/leads', { email: 'day5b@acme.example' }, 201, 'integration')
  t.equal(
    (await ok('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, undefined, 200)).data.length,
    3,
    'a disabled endpoint gets no new deliveries',
  )
  t.match(
    await ok('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: true }, 200),
    { enabled: true, disabledReason: null, failingSince: null },
    're-enabling starts afresh',
  )
})

t.test('a success ends the failing streak', async (t) => {
  const baton = await buildTestApp(t, { env: { WEBHOOK_RETRY_SCHEDULE: '0', WEBHOOK_TIMEOUT_SECONDS: '1' } })
  const { ok } = apiClient(baton)
  const receiver = await startReceiver(t, (_r, res) => res.writeHead(503).end())
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  const state = () => ok('GET', `/v1/webhook-endpoints/${endpoint.id}`, undefined, 200)
  await ok('POST', '/v1/leads', { email: 'a@acme.example' }, 201, 'integration')
  t.ok(await waitFor(async () => (await state()).failingSince, 5000), 'failing')
  receiver.answerWith((_r, res) => res.writeHead(200).end())
  baton.clock.advance(4 * 24 * 3600 * 1000)
  await ok('POST', '/v1/leads', { email: 'b@acme.example' }, 201, 'integration')
  t.ok(await waitFor(async () => (await state()).failingSince === null, 5000), 'healthy again')
  receiver.answerWith((_r, res) => res.writeHead(500).end())
  baton.clock.advance(2 * 24 * 3600 * 1000)
  await ok('POST', '/v1/leads', { email: 'c@acme.example' }, 201, 'integration')
  await waitFor(async () => (await state()).failingSince, 5000)
  t.match(
    await state(),
    { enabled: true, failingSince: baton.clock.now().toISOString() },
    'six days after the first failure, but the streak is new',
  )
})

t.test(
  'a Slack endpoint opted in to accept links gets the assignment with a working Accept button, and short lines for the rest',
  async (t) => {
    const h = await handoffHarness(t, { realTime: true, env: FAST })
    const slack = await startReceiver(t)
    const endpoint = {
      url: slack.url('/services/T000/B000/XXXX'),
      kind: 'slack',
      eventTypes: ['lead.assigned', 'handoff.accepted'],
      includeAcceptLinks: true,
    }
    await h.ok('POST', '/v1/webhook-endpoints', endpoint, 201)
    const {
      repIds: [repId],
    } = await h.setup(1)
    const rep = await h.ok('GET', `/v1/reps/${repId}`, undefined, 200)
    const { lead } = await h.postLead()

    await waitFor(async () => slack.received.length >= 1, 5000)
    const assigned = JSON.parse(slack.received[0]!.body)
    t.match(assigned.text, new RegExp(`New lead for ${rep.name}: ${lead.email}`))
    const button = assigned.blocks.find((b: { type: string }) => b.type === 'actions')?.elements[0]
    t.match(button, { type: 'button', text: { text: 'Accept' } })

    // The button is the one-click accept link: following it accepts the handoff.
    const link = new URL(button.url)
    const accepted = await h.baton.app.inject({
      method: 'POST',
      url: `${link.pathname}${link.search}`,
      headers: { accept: 'application/json' },
    })
    t.equal(accepted.statusCode, 200, 'the link accepts')
    await waitFor(async () => slack.received.length >= 2, 5000)
    const line = JSON.parse(slack.received[1]!.body)
    t.match(line, { text: `handoff.accepted: ${lead.email} accepted by ${rep.name}`, blocks: [{ type: 'section' }] })
  },
)

t.test('a binary answer (NUL bytes) is stored readably and does not fail the batch', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const { ok } = apiClient(baton)
  const receiver = await startReceiver(t, (_r, res, index) =>
    index === 0 ? res.writeHead(500).end(Buffer.from([0x62, 0x00, 0xff, 0x00])) : res.writeHead(200).end(),
  )
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  await ok('POST', '/v1/leads', { email: 'nul@acme.example' }, 201, 'integration')
  const delivery = await newestSucceeded(ok, endpoint.id, 5000)
  t.equal(receiver.received.length, 2, 'retried once, not re-sent in a loop')
  t.match(delivery?.attempts, [
    { number: 1, statusCode: 500, responseBody: 'b\uFFFD\uFFFD\uFFFD' },
    { number: 2, statusCode: 200 },
  ])
})

t.test('an answer full of quotes, braces, commas and backslashes is stored as it came', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const { ok } = apiClient(baton)
  // Attempts are written as arrays: each of these means something inside an array literal.
  const answers = ['{"ok":false,"why":"a, b"}', 'NULL', 'back\\slash "quoted" {x} \n ünï', '']
  const receiver = await startReceiver(t, (_r, res, index) => res.writeHead(index < answers.length - 1 ? 500 : 200).end(answers[index]))
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  await ok('POST', '/v1/leads', { email: 'quotes@acme.example' }, 201, 'integration')
  const delivery = await newestSucceeded(ok, endpoint.id, 10_000)
  t.same(
    delivery?.attempts.map((a: { responseBody: string | null }) => a.responseBody),
    [...answers.slice(0, -1), null],
    'each body exactly, the string NULL too; an empty one as null',
  )
  t.same(
    delivery?.attempts.map((a: { number: number }) => a.number),
    [1, 2, 3, 4],
  )
})

t.test('deliveries made together share first-attempt jobs, four to a job, and each arrives once', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: FAST })
  const { ok, sql } = apiClient(baton)
  const [first, second] = [await startReceiver(t), await startReceiver(t)]
  for (const receiver of [first, second]) await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.*'] }, 201)
  const { lead } = await ok('POST', '/v1/leads', { email: 'shared@acme.example', company: 'Acme' }, 201, 'integration')
  const events = await sql<{ id: string }>('select id from events where lead_id = $1', [lead.id])
  t.ok(events.length >= 3, `the lead has its events (${events.length})`)
  await waitFor(async () => first.received.length >= events.length && second.received.length >= events.length, 5000)

  const deliveries = (
    await sql<{ id: string }>('select d.id from webhook_deliveries d join events e on e.id = d.event_id where e.lead_id = $1', [lead.id])
  ).map((d) => d.id)
  t.equal(deliveries.length, 2 * events.length, 'a delivery per event and endpoint')
  const jobs = await sql<{ data: { deliveryIds: string[] } }>(
    `select data from pgboss.job where name = 'webhook-attempts' and data->'deliveryIds' ?| $1::text[]`,
    [deliveries],
  )
  t.equal(jobs.length, Math.ceil(deliveries.length / 4), `${jobs.length} first-attempt jobs for ${deliveries.length} deliveries`)
  t.ok(
    jobs.every((j) => j.data.deliveryIds.length <= 4),
    'none names more than four',
  )
  t.same(jobs.flatMap((j) => j.data.deliveryIds).sort(), [...deliveries].sort(), 'each delivery in exactly one job')
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const receiver of [first, second]) {
    const ids = receiver.received.map((r) => r.headers['webhook-id'])
    t.same([...ids].sort(), events.map((e) => e.id).sort(), 'each receiver got each event once')
  }
})

t.test('a job naming several deliveries attempts those still waiting for it, and leaves one a retry took over', async (t) => {
  const { baton, sql, receiver, endpoint } = await deliveredLeads(t, ['one@acme.example', 'two@acme.example'])
  const events = (await sql<{ id: string }>(`select id from events where type = 'lead.received' order by position`)).map((e) => e.id)

  // Two more deliveries of those events: one still waiting for the shared job, one whose next job is another.
  const [shared, other, waiting, overtaken] = [
    '01a00000-0000-7000-8000-00000000000a',
    '01a00000-0000-7000-8000-00000000000b',
    '01a00000-0000-7000-8000-00000000000c',
    '01a00000-0000-7000-8000-00000000000d',
  ]
  await sql(
    `insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
    values ($1, $3, $4, 'pending', $5, now(), now(), now()), ($2, $3, $6, 'pending', $7, now(), now(), now())`,
    [waiting, overtaken, endpoint.id, events[0], shared, events[1], other],
  )
  await baton.deps.boss.insert('webhook-attempts', [{ id: shared, data: { deliveryIds: [waiting, overtaken] } }])

  const done = await waitFor(
    async () => (await sql('select status from webhook_deliveries where id = $1', [waiting]))[0]?.status === 'succeeded',
    5000,
  )
  t.ok(done, 'the delivery waiting for the job was attempted and succeeded')
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.match(
    await sql('select status, attempts, next_job_id from webhook_deliveries where id = $1', [overtaken]),
    [{ status: 'pending', attempts: 0, next_job_id: other }],
    'the other one was left to its own job',
  )
  t.equal(receiver.received.length, 3, 'one more webhook, not two')
})

t.test('a job an older version queued (one delivery, on the legacy queue) is still attempted', async (t) => {
  const { baton, sql, receiver, endpoint } = await deliveredLeads(t, ['legacy@acme.example'])
  const [received] = await sql<{ id: string }>(`select id from events where type = 'lead.received'`)
  const legacy = '01a00000-0000-7000-8000-00000000001e'
  await sql(
    `insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
    values ($1, $2, $3, 'pending', $1, now(), now(), now())`,
    [legacy, endpoint.id, received?.id],
  )
  await baton.deps.boss.insert('webhook-delivery', [{ id: legacy, data: { deliveryId: legacy } }])
  const done = await waitFor(
    async () => (await sql('select status from webhook_deliveries where id = $1', [legacy]))[0]?.status === 'succeeded',
    8000,
  )
  t.ok(done, 'the legacy job delivered it')
  t.equal(receiver.received.length, 2, 'the event went out once more, for the second delivery')
})

t.test("attempts written together keep each one's nulls, numbers and text (one statement of column arrays)", async (t) => {
  const { baton, sql, endpoint } = await deliveredLeads(t, ['columns@acme.example'])
  const [delivery] = await sql<{ id: string }>('select id from webhook_deliveries where endpoint_id = $1', [endpoint.id])
  const at = new Date('2026-01-05T09:00:00.123Z')
  const rows = [
    { number: 10, statusCode: null, errorClass: 'timeout' as const, error: 'no answer within 1 s', responseBody: null, latencyMs: 1000 },
    { number: 11, statusCode: 500, errorClass: 'http' as const, error: 'HTTP 500', responseBody: 'NULL', latencyMs: 12 },
    { number: 12, statusCode: 200, errorClass: null, error: null, responseBody: '{"a": "b,c"}', latencyMs: 3 },
  ]
  await baton.deps.db.transaction((tx) =>
    insertAttempts(
      tx,
      rows.map((r) => ({ ...r, id: newId(), deliveryId: delivery!.id, trigger: 'manual' as const, attemptedAt: at })),
    ),
  )
  const stored = await sql(
    `select number, status_code, error_class, error, response_body, latency_ms, trigger, attempted_at from webhook_attempts
    where delivery_id = $1 and number >= 10 order by number`,
    [delivery!.id],
  )
  t.same(
    stored,
    rows.map((r) => ({
      number: r.number,
      status_code: r.statusCode,
      error_class: r.errorClass,
      error: r.error,
      response_body: r.responseBody,
      latency_ms: r.latencyMs,
      trigger: 'manual',
      attempted_at: at,
    })),
    'nulls stay null beside values in the same column, the string NULL stays a string, the time exact',
  )
})
