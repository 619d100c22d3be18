// Outbound webhooks when receivers misbehave: timeouts, Retry-After, 410, redirects, refused
// connections, an exhausted schedule, manual retries, replays, secret rotation; and the
// guarantees around them: no delivery without a commit, filters, per-lead sequence numbers.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql as q } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { Webhook } from 'standardwebhooks'
import { appendEvents } from '../../src/modules/events/events.repo.ts'
import { newEvent } from '../../src/modules/events/events.service.ts'
import { failStuckDeliveries } from '../../src/modules/webhooks/deliveries.repo.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'
import { startReceiver, type Received } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'

const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2', WEBHOOK_TIMEOUT_SECONDS: '1' }
const GHOST = '01900000-0000-7000-8000-000000000000'
const PAYLOAD_KEYS = ['data', 'id', 'sequence', 'timestamp', 'type']

interface Payload {
  id: string
  type: string
  sequence: number | null
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: Record<string, any>
}

/** A Baton on the real clock, its API, and the few calls every test here makes. */
async function setup(t: Test, env: Record<string, string> = {}) {
  const baton = await buildTestApp(t, { realTime: true, env: { ...FAST, ...env } })
  const api = apiClient(baton)
  const endpoint = (url: string, body: object = { eventTypes: ['lead.received'] }) =>
    api.ok('POST', '/v1/webhook-endpoints', { url, ...body }, 201)
  const lead = async (email: string) => (await api.ok('POST', '/v1/leads', { email }, 201, 'integration')).lead
  const deliveries = async (endpointId: string) =>
    (await api.ok('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, undefined, 200)).data
  /** The endpoint's first delivery once `done` holds for it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const delivery = (endpointId: string, done: (d: any) => boolean, ms = 8000) =>
    waitFor(async () => (await deliveries(endpointId)).find(done), ms)
  return { baton, ...api, endpoint, lead, deliveries, delivery }
}

const verify = (secret: string, got: Received) => new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as Payload
const finished = (d: { status: string }) => d.status !== 'pending'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Item 13 for every test: each body is under 20 KB and has exactly the documented keys. */
function checkPayloads(t: Test, ...receivers: Array<{ received: Received[] }>) {
  const bodies = receivers.flatMap((r) => r.received.map((got) => got.body))
  const odd = bodies.filter(
    (b) => Buffer.byteLength(b) >= 20_000 || JSON.stringify(Object.keys(JSON.parse(b)).sort()) !== JSON.stringify(PAYLOAD_KEYS),
  )
  t.same(odd, [], `all ${bodies.length} payloads are under 20 KB with exactly id, type, timestamp, sequence, data`)
}

async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('failures are classified: a hang times out and is retried, a redirect is not followed, refused, reset, unresolvable', async (t) => {
  const { endpoint, lead, delivery } = await setup(t)
  const hang = await startReceiver(t, (_got, res, index) => {
    if (index > 0) res.writeHead(200).end('ok')
  })
  const elsewhere = await startReceiver(t)
  const redirect = await startReceiver(t, (_got, res) => res.writeHead(302, { location: elsewhere.url() }).end())
  const reset = await startReceiver(t, (_got, res) => res.socket?.destroy())
  const port = await unusedPort()
  // .invalid never resolves (RFC 6761): the resolver answers at once, so this is no timeout.
  const urls = [hang.url(), redirect.url(), `http://127.0.0.1:${port}/hook`, 'http://baton-test.invalid/hook', reset.url()]
  const [slow, moved, closed, nowhere, cut] = await Promise.all(urls.map((url) => endpoint(url)))
  await lead('classify@acme.example')

  const timedOut = await delivery(slow.id, finished)
  t.match(
    timedOut,
    {
      status: 'succeeded',
      attemptCount: 2,
      attempts: [
        { number: 1, trigger: 'scheduled', statusCode: null, errorClass: 'timeout', responseBody: null },
        { number: 2, statusCode: 200, errorClass: null },
      ],
    },
    'the hang is a timeout, and the retry succeeds',
  )
  const latency = timedOut.attempts[0].latencyMs
  t.ok(latency >= 950 && latency < 3000, `the timed-out attempt took about the 1 s timeout (${latency} ms)`)
  t.equal(hang.received.length, 2)
  t.ok(hang.received[1]!.at - hang.received[0]!.at >= 950, 'the retry came after the timeout')
  t.equal(hang.received[1]!.headers['webhook-id'], hang.received[0]!.headers['webhook-id'], 'same webhook-id on the retry')

  const redirected = await delivery(moved.id, finished)
  t.match(redirected, { status: 'failed', attemptCount: 4, lastError: 'HTTP 302' })
  t.ok(
    redirected.attempts.every((a: { statusCode: number; errorClass: string }) => a.statusCode === 302 && a.errorClass === 'http'),
    'every 302 is an http failure',
  )
  t.equal(redirect.received.length, 4)
  t.equal(elsewhere.received.length, 0, 'the redirect target never got a request')

  const refused = await delivery(closed.id, finished)
  t.match(refused, { status: 'failed', attemptCount: 4, attempts: [{ statusCode: null, errorClass: 'connect', error: /ECONNREFUSED/ }] })
  t.match(await delivery(nowhere.id, finished), {
    status: 'failed',
    attempts: [{ statusCode: null, errorClass: 'dns', error: /ENOTFOUND/ }],
  })
  t.match(
    await delivery(cut.id, finished),
    { status: 'failed', attempts: [{ statusCode: null, errorClass: 'connect' }] },
    'a reset connection is "connect"',
  )
  checkPayloads(t, hang, redirect)
})

t.test('Retry-After on 429 and 503 is honoured instead of the schedule step', async (t) => {
  const { call, endpoint, lead, delivery } = await setup(t)
  const busyOnce = (status: number) =>
    startReceiver(t, (_got, res, index) =>
      index === 0 ? res.writeHead(status, { 'retry-after': '2' }).end('later') : res.writeHead(200).end(),
    )
  const [tooMany, unavailable] = [await busyOnce(429), await busyOnce(503)]
  const plain = await startReceiver(t, (_got, res, index) => res.writeHead(index === 0 ? 500 : 200).end())
  const endpoints = await Promise.all([tooMany, unavailable, plain].map((r) => endpoint(r.url())))
  await lead('busy@acme.example')

  for (const [i, status] of [429, 503].entries()) {
    const done = await delivery(endpoints[i].id, finished, 10_000)
    t.match(done, {
      status: 'succeeded',
      attemptCount: 2,
      attempts: [{ statusCode: status, errorClass: 'http', responseBody: 'later' }, { statusCode: 200 }],
    })
    const receiver = [tooMany, unavailable][i]!
    const gap = receiver.received[1]!.at - receiver.received[0]!.at
    t.ok(gap >= 1900 && gap < 6000, `${status}: the retry waited the 2 s asked for (${gap} ms)`)
  }
  await delivery(endpoints[2].id, finished)
  const gap = plain.received[1]!.at - plain.received[0]!.at
  t.ok(gap < 1900, `a 500 without Retry-After is retried on the 0.2 s step (${gap} ms)`)

  // A day asked for is clamped to an hour; a manual retry does not wait for it.
  const greedy = await startReceiver(t, (_got, res, index) =>
    index === 0 ? res.writeHead(429, { 'retry-after': '86400' }).end() : res.writeHead(200).end(),
  )
  const patient = await endpoint(greedy.url())
  await lead('greedy@acme.example')
  const waiting = await delivery(patient.id, (d) => d.attemptCount === 1)
  const wait = Date.parse(waiting.nextAttemptAt) - Date.parse(waiting.attempts[0].attemptedAt)
  t.match(waiting, { status: 'pending', attempts: [{ statusCode: 429 }] })
  t.ok(Math.abs(wait - 3600_000) < 10_000, `the next attempt is planned an hour later (${wait} ms)`)
  t.equal((await call('POST', `/v1/webhook-deliveries/${waiting.id}/retry`)).statusCode, 202)
  t.match(await delivery(patient.id, finished), {
    status: 'succeeded',
    attemptCount: 2,
    nextAttemptAt: null,
    attempts: [{ trigger: 'scheduled' }, { trigger: 'manual', statusCode: 200 }],
  })
  checkPayloads(t, tooMany, unavailable, plain, greedy)
})

t.test('410 disables the endpoint at once and announces it', async (t) => {
  const { ok, call, endpoint, lead, delivery, deliveries } = await setup(t)
  const gone = await startReceiver(t, (_got, res) => res.writeHead(410).end('gone'))
  const watcher = await startReceiver(t)
  const ep = await endpoint(gone.url())
  const ops = await endpoint(watcher.url(), { eventTypes: ['webhook_endpoint.*'] })
  await lead('gone@acme.example')

  t.match(await delivery(ep.id, finished), {
    status: 'failed',
    attemptCount: 1,
    nextAttemptAt: null,
    attempts: [{ statusCode: 410, errorClass: 'http', responseBody: 'gone' }],
  })
  t.match(await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200), { enabled: false, disabledReason: /410/ })

  await waitFor(async () => watcher.received.length > 0, 5000)
  t.equal(watcher.received.length, 1, 'the disable is delivered once to the endpoint subscribed to webhook_endpoint.*')
  const announced = verify(ops.secret, watcher.received[0]!)
  t.match(announced, {
    type: 'webhook_endpoint.disabled',
    sequence: null,
    data: { endpoint: { id: ep.id, origin: new URL(gone.url()).origin }, reason: /410/ },
  })
  const feed = await waitFor(async () => {
    const res = await call('GET', '/v1/events?types=webhook_endpoint.*', undefined, 'integration')
    return res.json().data.length > 0 ? res.json().data : undefined
  }, 3000)
  t.same(
    feed?.map((e: Payload) => e.id),
    [announced.id],
    'the event is in the feed, with the id it was delivered with',
  )

  await lead('after@acme.example')
  await sleep(1000)
  t.equal(gone.received.length, 1, 'no more attempts, and nothing new for the disabled endpoint')
  t.equal((await deliveries(ep.id)).length, 1)
  checkPayloads(t, gone, watcher)
})

t.test('an exhausted schedule fails the delivery; a manual retry tries once more', async (t) => {
  const { ok, call, endpoint, lead, delivery, deliveries } = await setup(t, { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2' })
  const receiver = await startReceiver(t, (_got, res) => res.writeHead(500).end(`down ${'x'.repeat(10_000)}`))
  const ep = await endpoint(receiver.url())
  await lead('exhausted@acme.example')

  const failed = await delivery(ep.id, finished)
  t.match(failed, { status: 'failed', attemptCount: 3, nextAttemptAt: null, lastError: 'HTTP 500' })
  t.same(
    failed.attempts.map((a: { number: number; trigger: string; statusCode: number }) => [a.number, a.trigger, a.statusCode]),
    [
      [1, 'scheduled', 500],
      [2, 'scheduled', 500],
      [3, 'scheduled', 500],
    ],
  )
  t.equal(failed.attempts[0].responseBody, `down ${'x'.repeat(4091)}`, 'the first 4 KB of the answer are kept')
  await sleep(800)
  t.equal(receiver.received.length, 3, 'exactly three attempts for a three-step schedule')
  t.match(await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200), { enabled: true, failingSince: String })

  t.equal((await call('POST', `/v1/webhook-deliveries/${GHOST}/retry`)).statusCode, 404, 'unknown delivery: 404')
  receiver.answerWith((_got, res) => res.writeHead(200).end('thanks'))
  const retry = await call('POST', `/v1/webhook-deliveries/${failed.id}/retry`)
  t.equal(retry.statusCode, 202)
  t.match(retry.json(), { id: failed.id, status: 'pending', attemptCount: 3 })
  const delivered = await delivery(ep.id, (d) => d.status === 'succeeded')
  t.match(delivered, { attemptCount: 4, nextAttemptAt: null, lastError: null })
  t.match(delivered.attempts[3], { number: 4, trigger: 'manual', statusCode: 200, errorClass: null, responseBody: 'thanks' })
  t.same(await ok('GET', `/v1/webhook-deliveries/${failed.id}`, undefined, 200), delivered, 'GET by id shows the same delivery')
  t.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id across all four')
  t.match(await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200), { failingSince: null }, 'a success ends the failing streak')

  await ok('PATCH', `/v1/webhook-endpoints/${ep.id}`, { enabled: false }, 200)
  const refused = await call('POST', `/v1/webhook-deliveries/${failed.id}/retry`)
  t.equal(refused.statusCode, 409, 'a disabled endpoint: 409')
  t.match(refused.json(), { status: 409, detail: /disabled/ })
  await lead('while-off@acme.example')
  await sleep(800)
  t.equal((await deliveries(ep.id)).length, 1, 'a disabled endpoint gets no new deliveries')
  t.equal(receiver.received.length, 4)
  checkPayloads(t, receiver)
})

t.test('a manual retry that overtakes an attempt in flight: each attempt counted once, numbered apart', async (t) => {
  const { ok, call, endpoint, lead, delivery, deliveries } = await setup(t)
  const receiver = await startReceiver(t, (_got, res, index) => {
    if (index > 0) res.writeHead(200).end()
  })
  const ep = await endpoint(receiver.url())
  await lead('overtaken@acme.example')
  await waitFor(async () => receiver.received.length > 0, 5000)
  const [pending] = await deliveries(ep.id)
  t.equal((await call('POST', `/v1/webhook-deliveries/${pending.id}/retry`)).statusCode, 202, 'retried while the first attempt hangs')
  await delivery(ep.id, (d) => d.status === 'succeeded')
  // The hung attempt times out after 1 s and is written after the manual one.
  await waitFor(async () => (await ok('GET', `/v1/webhook-deliveries/${pending.id}`, undefined, 200)).attempts.length > 1, 3000)
  await sleep(300)
  const final = await ok('GET', `/v1/webhook-deliveries/${pending.id}`, undefined, 200)
  t.match(final, { status: 'succeeded' }, 'the late timeout does not undo the success')
  t.equal(receiver.received.length, 2)
  const numbers = final.attempts.map((a: { number: number }) => a.number)
  t.same(numbers, [1, 2], 'two attempts, numbered 1 and 2')
  t.equal(final.attemptCount, final.attempts.length, 'attemptCount counts every stored attempt')
  t.match(
    await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200),
    { failingSince: null },
    'the endpoint is not failing: its last answer was a success',
  )
  checkPayloads(t, receiver)
})

t.test('replay re-sends a window with the original webhook-ids', async (t) => {
  const { call, ok, endpoint, lead, delivery } = await setup(t, { WEBHOOK_RETRY_SCHEDULE: '0' })
  const receiver = await startReceiver(t, (got, res) => res.writeHead(got.body.includes('fail@') ? 500 : 200).end())
  const since = new Date(Date.now() - 1000).toISOString()
  const ep = await endpoint(receiver.url())
  await lead('fine@acme.example')
  const good = await delivery(ep.id, (d) => d.status === 'succeeded')
  await lead('fail@acme.example')
  const bad = await delivery(ep.id, (d) => d.status === 'failed')
  t.equal(bad?.attemptCount, 1, 'a one-step schedule: one attempt')

  const replay = (body: object) => call('POST', `/v1/webhook-endpoints/${ep.id}/replay`, body)
  const later = new Date(Date.now() + 3600_000).toISOString()
  for (const body of [{ since: later }, { since, until: since }]) {
    const res = await replay(body)
    t.equal(res.statusCode, 422, `an empty window is refused: ${JSON.stringify(body)}`)
    t.match(res.json(), { errors: [{ pointer: '/since' }] })
  }
  t.equal((await call('POST', `/v1/webhook-endpoints/${GHOST}/replay`, { since })).statusCode, 404)

  receiver.answerWith((_got, res) => res.writeHead(200).end())
  const onlyFailed = await replay({ since, status: 'failed' })
  t.equal(onlyFailed.statusCode, 202)
  t.match(onlyFailed.json(), { replayed: 1, deliveryIds: [String] })
  const copyId = onlyFailed.json().deliveryIds[0]
  const copy = await waitFor(async () => {
    const d = await ok('GET', `/v1/webhook-deliveries/${copyId}`, undefined, 200)
    return d.status === 'succeeded' ? d : undefined
  }, 5000)
  t.match(copy, { replayOf: bad.id, eventId: bad.eventId, attemptCount: 1 }, 'a new delivery of the same event')

  const all = await replay({ since })
  t.equal(all.statusCode, 202)
  t.equal(all.json().replayed, 2, 'both originals, not the earlier copy')
  await waitFor(async () => receiver.received.length >= 5, 5000)
  const ids = receiver.received.map((r) => r.headers['webhook-id'])
  t.equal(ids.filter((id) => id === good.eventId).length, 2, 'the succeeded event twice, with its webhook-id')
  t.equal(ids.filter((id) => id === bad.eventId).length, 3, 'the failed event three times, with its webhook-id')
  t.same(
    receiver.received.map((got) => verify(ep.secret, got).id),
    ids,
    'every send verifies, and the payload id is the webhook-id',
  )

  const failedOnly = await ok('GET', `/v1/webhook-endpoints/${ep.id}/deliveries?status=failed`, undefined, 200)
  t.same(
    failedOnly.data.map((d: { id: string }) => d.id),
    [bad.id],
    'the list filters by status',
  )

  await ok('PATCH', `/v1/webhook-endpoints/${ep.id}`, { enabled: false }, 200)
  t.equal((await replay({ since })).statusCode, 409, 'no replay to a disabled endpoint')
  checkPayloads(t, receiver)
})

t.test('a replay of more than four deliveries shares its first-attempt jobs, four to a job, and re-sends each once', async (t) => {
  const { call, sql, endpoint, lead } = await setup(t)
  const receiver = await startReceiver(t)
  const since = new Date(Date.now() - 1000).toISOString()
  const ep = await endpoint(receiver.url())
  for (let i = 0; i < 6; i++) await lead(`replay-${i}@acme.example`)
  await waitFor(async () => receiver.received.length >= 6, 5000)

  const res = await call('POST', `/v1/webhook-endpoints/${ep.id}/replay`, { since })
  t.equal(res.statusCode, 202)
  const { replayed, deliveryIds } = res.json<{ replayed: number; deliveryIds: string[] }>()
  t.equal(replayed, 6)
  const jobs = await sql<{ data: { deliveryIds: string[] } }>(
    `select data from pgboss.job where name = 'webhook-attempts' and data->'deliveryIds' ?| $1::text[]`,
    [deliveryIds],
  )
  t.same(jobs.map((j) => j.data.deliveryIds.length).sort(), [2, 4], 'two jobs: four and two')
  t.same(jobs.flatMap((j) => j.data.deliveryIds).sort(), [...deliveryIds].sort(), 'each copy in exactly one job')
  await waitFor(async () => receiver.received.length >= 12, 5000)
  await sleep(300)
  const ids = receiver.received.map((r) => r.headers['webhook-id'])
  t.equal(ids.length, 12, 'six sends, then six again')
  t.ok(
    [...new Set(ids)].every((id) => ids.filter((x) => x === id).length === 2),
    'each event exactly twice, with its webhook-id',
  )
})

t.test('a rotated secret signs alongside the new one until its grace ends', async (t) => {
  const { ok, endpoint, lead } = await setup(t)
  const receiver = await startReceiver(t)
  const ep = await endpoint(receiver.url())
  const next = async (email: string) => {
    const count = receiver.received.length
    await lead(email)
    await waitFor(async () => receiver.received.length > count, 5000)
    return receiver.received[count]!
  }
  const signatures = (got: Received) => String(got.headers['webhook-signature']).split(' ')

  t.ok(verify(ep.secret, await next('before@acme.example')))
  const rotated = await ok('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, undefined, 200)
  t.match(rotated, { secretsActive: 2 })
  t.not(rotated.secret, ep.secret)
  const during = await next('during@acme.example')
  t.equal(signatures(during).length, 2)
  t.ok(
    signatures(during).every((s) => s.startsWith('v1,')),
    'two v1 signatures',
  )
  t.match(verify(ep.secret, during), { type: 'lead.received' }, 'the old secret verifies')
  t.match(verify(rotated.secret, during), { type: 'lead.received' }, 'the new secret verifies')

  const brief = await ok('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { graceSeconds: 1 }, 200)
  await sleep(1200)
  t.match(await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200), { secretsActive: 1 }, 'after the grace, one secret signs')
  const graceOver = await next('grace-over@acme.example')
  t.equal(signatures(graceOver).length, 1)
  t.ok(verify(brief.secret, graceOver))
  t.throws(() => verify(rotated.secret, graceOver), 'the previous secret no longer verifies')

  const abrupt = await ok('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { graceSeconds: 0 }, 200)
  t.match(abrupt, { secretsActive: 1 })
  const after = await next('after@acme.example')
  t.equal(signatures(after).length, 1)
  t.ok(verify(abrupt.secret, after), 'the newest secret verifies')
  t.throws(() => verify(brief.secret, after), 'the secret rotated out with no grace does not')
  t.throws(() => verify(ep.secret, after), 'nor the first one')
  checkPayloads(t, receiver)
})

t.test('a rolled-back transaction sends nothing; filters and disabled endpoints are respected', async (t) => {
  const { baton, sql, endpoint, lead, deliveries } = await setup(t)
  const [main, off, handoffs] = [await startReceiver(t), await startReceiver(t), await startReceiver(t)]
  const ep = await endpoint(main.url())
  const offEp = await endpoint(off.url(), { eventTypes: [], enabled: false })
  const handoffEp = await endpoint(handoffs.url(), { eventTypes: ['handoff.*'] })
  const { id: leadId } = await lead('tx@acme.example')
  await waitFor(async () => main.received.length > 0, 5000)
  const jobs = async () => (await sql('select count(*)::int as n from pgboss.job where name = $1', ['webhook-attempts']))[0].n
  const jobsBefore = await jobs()
  const [{ seq: seqBefore }] = await sql('select max(sequence)::int as seq from events where lead_id = $1', [leadId])

  const rolledBack = newEvent('lead.received', { lead: { id: leadId } }, new Date(), leadId)
  let inside = -1
  await t.rejects(
    baton.deps.db.transaction(async (tx) => {
      await appendEvents(tx, baton.deps, [rolledBack])
      inside = (await tx.execute<{ n: number }>(q`select count(*)::int as n from webhook_deliveries where event_id = ${rolledBack.id}`))
        .rows[0]!.n
      throw new Error('roll back')
    }),
    /roll back/,
  )
  t.equal(inside, 1, 'inside the transaction the delivery existed')
  t.same(await sql('select id from webhook_deliveries where event_id = $1', [rolledBack.id]), [], 'no delivery row after the rollback')
  t.same(await sql('select id from events where id = $1', [rolledBack.id]), [], 'no event row')
  t.equal(await jobs(), jobsBefore, 'no delivery job')
  await sleep(1500)
  t.equal(main.received.length, 1, 'the receiver got nothing')

  const committed = newEvent('lead.received', { lead: { id: leadId } }, new Date(), leadId)
  await baton.deps.db.transaction((tx) => appendEvents(tx, baton.deps, [committed]))
  await waitFor(async () => main.received.length > 1, 5000)
  t.match(
    verify(ep.secret, main.received[1]!),
    { id: committed.id, sequence: seqBefore + 1 },
    'the committed event is delivered, its sequence right after the last',
  )
  const jobsOf = await sql(
    `select j.data from webhook_deliveries d join pgboss.job j on j.name = 'webhook-attempts' and j.data->'deliveryIds' ? d.id::text
    where d.event_id = $1`,
    [committed.id],
  )
  const [{ id: deliveryId }] = await sql('select id from webhook_deliveries where event_id = $1', [committed.id])
  t.same(
    jobsOf.map((j) => j.data),
    [{ deliveryIds: [deliveryId] }],
    'one job made its first attempt, naming it',
  )

  await sleep(500)
  t.same(await deliveries(offEp.id), [], 'the disabled endpoint got no delivery')
  t.same(await deliveries(handoffEp.id), [], 'handoff.* got no lead.received')
  t.equal(off.received.length + handoffs.received.length, 0)
  checkPayloads(t, main)
})

t.test('events carry consecutive per-lead sequence numbers, even under concurrent duplicates', async (t) => {
  const { call, sql, endpoint } = await setup(t)
  const receiver = await startReceiver(t)
  const ep = await endpoint(receiver.url(), { eventTypes: [] })
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => call('POST', '/v1/leads', { email: 'again@acme.example' }, 'integration')),
  )
  t.same(answers.map((a) => a.statusCode).sort(), [...Array(19).fill(200), 201], 'one lead made, nineteen merged')
  const leadId = answers.find((a) => a.statusCode === 201)!.json().lead.id

  const stored = (await sql('select sequence from events where lead_id = $1 order by sequence', [leadId])).map((r) => r.sequence)
  const n = stored.length
  t.ok(n >= 3 + 19 * 2, `at least three events for the new lead and two per duplicate (${n})`)
  t.same(
    stored,
    Array.from({ length: n }, (_, i) => i + 1),
    'exactly 1..N: no gaps, no repeats',
  )

  const feed = (await call('GET', '/v1/events?limit=500', undefined, 'integration'))
    .json()
    .data.filter((e: Payload) => e.data.lead?.id === leadId)
  t.same(
    feed.map((e: Payload) => e.sequence),
    stored,
    'the feed, in commit order, shows them 1, 2, 3…',
  )
  t.same(
    feed.slice(0, 2).map((e: Payload) => e.type),
    ['lead.received', 'lead.scored'],
    'received is 1, scored is 2',
  )

  await waitFor(async () => receiver.received.length >= n, 10_000)
  const payloads = receiver.received.map((got) => verify(ep.secret, got))
  t.equal(payloads.length, n, 'one delivery per event')
  t.same(
    payloads.map((p) => p.sequence).sort((a, b) => a! - b!),
    stored,
    'the payloads carry the same distinct sequences',
  )
  t.equal(new Set(payloads.map((p) => p.id)).size, n, 'distinct webhook-ids')
  const byId = new Map(feed.map((e: Payload) => [e.id, e.sequence]))
  t.ok(
    payloads.every((p) => byId.get(p.id) === p.sequence),
    "each payload has its event's sequence",
  )
  checkPayloads(t, receiver)
})

t.test('deliveries a job left pending when it ended are failed by the sweep, visibly; live jobs are left alone', async (t) => {
  const { baton, sql, endpoint, lead, deliveries } = await setup(t)
  const receiver = await startReceiver(t)
  const ep = await endpoint(receiver.url())
  await lead('stuck@acme.example')
  await waitFor(async () => receiver.received.length >= 1, 5000)
  const [event] = await sql<{ id: string }>(`select id from events where type = 'lead.received'`)
  const boss = baton.deps.boss
  // Four deliveries of the event, due 20 minutes ago: one whose job failed past its retries, one
  // whose job is gone, one whose retry job waits, one due just now (merely late).
  const ids = {
    failedJob: '01a00000-0000-7000-8000-0000000000f1',
    gone: '01a00000-0000-7000-8000-0000000000f2',
    waiting: '01a00000-0000-7000-8000-0000000000f3',
    late: '01a00000-0000-7000-8000-0000000000f4',
  }
  const longAgo = new Date(Date.now() - 20 * 60_000)
  for (const [id, due] of [
    [ids.failedJob, longAgo],
    [ids.gone, longAgo],
    [ids.waiting, longAgo],
    [ids.late, new Date()],
  ] as const) {
    await sql(
      `insert into webhook_deliveries (id, endpoint_id, event_id, status, next_job_id, next_attempt_at, created_at, updated_at)
      values ($1, $2, $3, 'pending', $1, $4, $4, $4)`,
      [id, ep.id, event!.id, due],
    )
  }
  // Jobs on a queue with no worker, moved to the states a worker would have left them in.
  await boss.insert('webhook-attempts', [
    { id: ids.failedJob, data: { deliveryIds: [ids.failedJob] }, startAfter: 3600 },
    { id: ids.waiting, data: { deliveryIds: [ids.waiting] }, startAfter: 3600 },
  ])
  await sql(`update pgboss.job set state = 'failed' where name = 'webhook-attempts' and id = $1`, [ids.failedJob])

  const failed = await failStuckDeliveries(baton.deps.db, new Date())
  t.same([...failed].sort(), [ids.failedJob, ids.gone].sort(), 'the two whose job ended, and only those')
  const rows = await sql(`select id, status, next_job_id, last_error from webhook_deliveries where id = any($1::uuid[]) order by id`, [
    Object.values(ids),
  ])
  t.match(rows, [
    {
      id: ids.failedJob,
      status: 'failed',
      next_job_id: null,
      last_error: 'its attempt job ended without deciding it (failed); retry or replay it',
    },
    {
      id: ids.gone,
      status: 'failed',
      next_job_id: null,
      last_error: 'its attempt job ended without deciding it (gone); retry or replay it',
    },
    { id: ids.waiting, status: 'pending', next_job_id: ids.waiting },
    { id: ids.late, status: 'pending', next_job_id: ids.late },
  ])
  t.match(
    (await deliveries(ep.id)).find((d: { id: string }) => d.id === ids.gone),
    { status: 'failed', lastError: /retry or replay it/ },
    'the API shows it failed, with why',
  )
  t.same(await failStuckDeliveries(baton.deps.db, new Date()), [], 'a second sweep finds nothing')
})
