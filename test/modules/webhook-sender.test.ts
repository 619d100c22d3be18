// The webhook delivery pieces without the service: the sender against real sockets on
// 127.0.0.1 (SSRF guard at connect time, body kept, no redirects, time limits, error
// classes), and the pure parts — retry policy, payload and signature, Slack messages.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import t, { type Test } from 'tap'
import type { EndpointSecret, EventRow } from '../../src/db/schema/index.ts'
import { MAX_PAYLOAD_BYTES, payloadOf, signedHeaders } from '../../src/modules/webhooks/payload.ts'
import { nextStep } from '../../src/modules/webhooks/retry-policy.ts'
import { classify, createSender, retryAfterSeconds, type AttemptResult } from '../../src/modules/webhooks/sender.ts'
import { slackMessage } from '../../src/modules/webhooks/slack.ts'
import { startReceiver } from '../helpers/receiver.ts'

function senderFor(t: Test, allowPrivate: boolean, timeoutMs = 2000) {
  const sender = createSender({ allowPrivate, timeoutMs })
  t.teardown(() => sender.close())
  return sender
}

const BODY = JSON.stringify({ id: 'evt_1', type: 'lead.received', data: { lead: { id: 'l1' } } })

t.test('SSRF guard at connect time: non-public targets refused, nothing reaches them', async (t) => {
  const receiver = await startReceiver(t)
  const sender = senderFor(t, false)
  const cases: Array<[string, string, RegExp]> = [
    ['IPv4 loopback literal', `http://127.0.0.1:${receiver.port}/hook`, /127\.0\.0\.1 is loopback/],
    [
      'a name resolving to loopback (DNS-time check)',
      `http://localhost:${receiver.port}/hook`,
      /^localhost resolves to a non-public address \(127\.0\.0\.1 is loopback\)$/,
    ],
    ['IPv6 loopback literal', `http://[::1]:${receiver.port}/hook`, /::1 is loopback/],
    ['IPv4-mapped loopback literal', `http://[::ffff:127.0.0.1]:${receiver.port}/hook`, /127\.0\.0\.1 is loopback/],
    ['decimal spelling of 127.0.0.1', `http://2130706433:${receiver.port}/hook`, /127\.0\.0\.1 is loopback/],
    ['short spelling 127.1', `http://127.1:${receiver.port}/hook`, /127\.0\.0\.1 is loopback/],
    ['0.0.0.0 (reaches the local host on Linux)', `http://0.0.0.0:${receiver.port}/hook`, /0\.0\.0\.0 is unspecified/],
  ]
  for (const [name, url, error] of cases) {
    const result = await sender.post(url, { 'webhook-id': 'msg_1' }, BODY)
    t.match(result, { statusCode: null, errorClass: 'dns', responseBody: null }, `${name}: refused as dns`)
    t.match(result.error, error, `${name}: the error names the address`)
  }
  t.equal(receiver.received.length, 0, 'the receiver got no request at all')
})

t.test('with private targets allowed, the same URLs are delivered', async (t) => {
  const receiver = await startReceiver(t, (_r, res) => res.writeHead(200).end('thanks'))
  const sender = senderFor(t, true)
  for (const url of [receiver.url('/hook'), `http://localhost:${receiver.port}/hook`]) {
    const result = await sender.post(url, { 'webhook-id': 'msg_1', 'x-extra': 'yes' }, BODY)
    t.match(result, { statusCode: 200, errorClass: null, error: null, responseBody: 'thanks' }, url)
  }
  t.equal(receiver.received.length, 2)
  const got = receiver.received[0]!
  t.equal(got.body, BODY, 'the body as given')
  t.match(got.headers, { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'x-extra': 'yes', 'user-agent': 'Baton-Webhooks/1' })
  t.equal(got.path, '/hook')
})

t.test('response body: the first 4 KB only, null when empty, UTF-8 intact', async (t) => {
  const multiByte = 'Grüße, 世界 🎉 '.repeat(50) // about 1 KB of 1- to 4-byte characters
  const euros = '€'.repeat(2000) // 6,000 bytes; 4,096 falls inside a character
  const receiver = await startReceiver(t, (r, res) => {
    const answers: Record<string, () => void> = {
      '/big': () => res.writeHead(200).end(Buffer.alloc(1024 * 1024, 'a')),
      '/empty': () => res.writeHead(204).end(),
      '/empty-500': () => res.writeHead(500).end(),
      '/utf8': () => {
        // Split inside a character: the kept body is decoded once, not per chunk.
        const bytes = Buffer.from(multiByte)
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        res.write(bytes.subarray(0, 9))
        setTimeout(() => res.end(bytes.subarray(9)), 20)
      },
      '/euros': () => res.writeHead(200).end(euros),
    }
    answers[r.path]!()
  })
  const sender = senderFor(t, true)

  const big = await sender.post(receiver.url('/big'), {}, BODY)
  t.equal(big.statusCode, 200)
  t.equal(big.responseBody, 'a'.repeat(4096), '1 MB answer: exactly the first 4,096 bytes kept')
  t.ok(big.latencyMs < 1000, `reading stops early (latency ${big.latencyMs} ms)`)

  t.equal((await sender.post(receiver.url('/empty'), {}, BODY)).responseBody, null, 'empty 204 body: null')
  t.match(
    await sender.post(receiver.url('/empty-500'), {}, BODY),
    { statusCode: 500, errorClass: 'http', error: 'HTTP 500', responseBody: null },
    'empty 500 body: null',
  )
  t.equal((await sender.post(receiver.url('/utf8'), {}, BODY)).responseBody, multiByte, 'multi-byte body under 4 KB intact')

  const cut = (await sender.post(receiver.url('/euros'), {}, BODY)).responseBody ?? ''
  t.ok(cut.startsWith('€'.repeat(1365)), 'a body cut at 4 KB keeps every whole character before the cut')
  t.ok(cut.endsWith('\uFFFD'), 'the split character is marked by U+FFFD')
  t.equal(receiver.received.length, 5, 'one request per post (nothing retried inside the sender)')
})

t.test('redirects are answers, never followed', async (t) => {
  const elsewhere = await startReceiver(t)
  const receiver = await startReceiver(t, (r, res) =>
    res.writeHead(Number(r.path.slice(1)), { location: elsewhere.url('/moved') }).end('moved'),
  )
  const sender = senderFor(t, true)
  for (const status of [301, 302, 303, 307, 308]) {
    const result = await sender.post(receiver.url(`/${status}`), {}, BODY)
    t.match(result, { statusCode: status, errorClass: 'http', error: `HTTP ${status}`, responseBody: 'moved' }, `${status}`)
  }
  t.equal(receiver.received.length, 5)
  t.equal(elsewhere.received.length, 0, 'the Location target got nothing')
})

t.test('time limit: no answer, stalled body or trickled body all fail as timeout', async (t) => {
  const receiver = await startReceiver(t, (r, res) => {
    if (r.path === '/silent') return // never answers
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('partial')
    if (r.path === '/trickle') {
      // A byte every 100 ms: each chunk beats a per-read timer, never the attempt's limit.
      const timer = setInterval(() => res.write('.'), 100)
      res.on('close', () => clearInterval(timer))
    }
  })
  const sender = senderFor(t, true, 300)
  for (const path of ['/silent', '/stalled-body', '/trickle']) {
    const result = await sender.post(receiver.url(path), {}, BODY)
    t.match(result, { statusCode: null, errorClass: 'timeout', error: 'no answer within 0.3 s', responseBody: null }, path)
    t.ok(result.latencyMs >= 280 && result.latencyMs <= 1500, `${path}: gave up after ${result.latencyMs} ms (300 ms limit)`)
  }
})

t.test("a burst to a slow receiver: the time limit runs once a connection is the attempt's own", async (t) => {
  // 32 connections per origin. Each answer takes 600 ms against a 1 s limit: 64 attempts at
  // once all succeed (the second 32 wait about 600 ms for a connection first, off the clock;
  // on it, they took 1.2 s and timed out).
  const receiver = await startReceiver(t, (_r, res) => void setTimeout(() => res.writeHead(200).end('ok'), 600))
  const sender = senderFor(t, true, 1000)
  const burst = await Promise.all(Array.from({ length: 64 }, () => sender.post(receiver.url('/slow'), {}, BODY)))
  t.same(
    burst.filter((r) => r.statusCode !== 200).map((r) => r.error),
    [],
    'all 64 answered 200',
  )
  t.ok(
    burst.every((r) => r.latencyMs < 1000),
    "latency is the receiver's, not the wait for a connection",
  )
  // 160 at once: five rounds of 600 ms. The last rounds' wait passes the limit: they fail as
  // timeouts without being sent, and the receiver sees only what was sent.
  const before = receiver.received.length
  const flood = await Promise.all(Array.from({ length: 160 }, () => sender.post(receiver.url('/slow'), {}, BODY)))
  const waitedOut = flood.filter((r) => r.errorClass === 'timeout')
  t.ok(
    waitedOut.length > 0 && waitedOut.every((r) => /^no connection to the receiver came free within 1 s \(32 busy\)$/.test(r.error ?? '')),
    `${waitedOut.length} waited out, each saying so`,
  )
  t.equal(flood.filter((r) => r.statusCode === 200).length + waitedOut.length, 160, 'the rest answered 200')
  t.equal(receiver.received.length - before, 160 - waitedOut.length, 'nothing was sent for an attempt that waited out')
})

t.test('network failures: connect, dns and tls', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const closedPort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const plainHttp = await startReceiver(t)
  const open = senderFor(t, true)
  const guarded = senderFor(t, false)

  const refused = await open.post(`http://127.0.0.1:${closedPort}/`, {}, BODY)
  t.match(refused, { statusCode: null, errorClass: 'connect', error: /ECONNREFUSED/ }, 'connection refused: connect')

  for (const [name, sender] of [
    ['guarded', guarded],
    ['private allowed', open],
  ] as const) {
    const result = await sender.post('http://does-not-exist.invalid/hook', {}, BODY)
    t.match(result, { statusCode: null, errorClass: 'dns', error: /does-not-exist\.invalid/ }, `unresolvable host (${name}): dns`)
  }

  const tls = await open.post(`https://127.0.0.1:${plainHttp.port}/hook`, {}, BODY)
  t.equal(tls.statusCode, null)
  t.equal(tls.errorClass, 'tls', `https to a plain-HTTP server: tls (${tls.error})`)
  t.equal(plainHttp.received.length, 0)
})

t.test('Retry-After is read only on 429 and 503', async (t) => {
  const receiver = await startReceiver(t, (r, res) => {
    const [status, retryAfter] = r.path.slice(1).split('/')
    res.writeHead(Number(status), retryAfter ? { 'retry-after': retryAfter } : {}).end()
  })
  const sender = senderFor(t, true)
  const cases: Array<[string, number | undefined]> = [
    ['/429/120', 120],
    ['/503/7', 7],
    ['/429', undefined],
    ['/500/120', undefined],
    ['/200/120', undefined],
  ]
  for (const [path, expected] of cases) {
    const result = await sender.post(receiver.url(path), {}, BODY)
    t.equal(result.retryAfterSeconds, expected, path)
    t.equal('retryAfterSeconds' in result, expected !== undefined, `${path}: key present only with a value`)
  }
})

t.test('retryAfterSeconds: delta-seconds or an HTTP date', async (t) => {
  const now = Date.parse('2026-05-01T12:00:00Z')
  const cases: Array<[string, string | string[] | undefined, number | undefined]> = [
    ['delta-seconds', '120', 120],
    ['zero', '0', 0],
    ['surrounding spaces', ' 45 ', 45],
    ['HTTP date 30 s ahead', new Date(now + 30_000).toUTCString(), 30],
    ['HTTP date in the past', new Date(now - 60_000).toUTCString(), 0],
    ['array: the first value', ['15', '99'], 15],
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['words', 'soon', undefined],
    ['unit suffix', '30s', undefined],
    // V8's Date.parse alone would read these as dates in 2001.
    ['decimal', '2.5', undefined],
    ['negative', '-1', undefined],
    ['words and a digit', 'later 2', undefined],
  ]
  for (const [name, value, expected] of cases) t.equal(retryAfterSeconds(value, now), expected, name)
})

t.test('classify: every error shape to the class an operator acts on', async (t) => {
  const coded = (code: string, message = `failed: ${code}`) => Object.assign(new Error(message), { code })
  const cases: Array<[string, unknown, string]> = [
    ['AbortSignal.timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout'],
    ['AbortError', new DOMException('This operation was aborted', 'AbortError'), 'timeout'],
    ['headers timeout', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['body timeout', coded('UND_ERR_BODY_TIMEOUT'), 'timeout'],
    ['connect timeout', coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    ['ENOTFOUND', coded('ENOTFOUND'), 'dns'],
    ['EAI_AGAIN', coded('EAI_AGAIN'), 'dns'],
    ['ENODATA', coded('ENODATA'), 'dns'],
    ['EAI_FAIL (resolver failed for good)', coded('EAI_FAIL'), 'dns'],
    ['blocked address', coded('EBLOCKEDADDRESS'), 'dns'],
    ['expired certificate', coded('CERT_HAS_EXPIRED'), 'tls'],
    ['wrong host name', coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    ['self-signed', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    ['self-signed in chain', coded('SELF_SIGNED_CERT_IN_CHAIN'), 'tls'],
    ['unknown issuer', coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    ['OpenSSL record error', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
    ['EPROTO', coded('EPROTO'), 'tls'],
    ['refused', coded('ECONNREFUSED'), 'connect'],
    ['reset', coded('ECONNRESET'), 'connect'],
    ['undici socket closed', coded('UND_ERR_SOCKET'), 'connect'],
    ['unreachable network', coded('ENETUNREACH'), 'connect'],
    ['code only on cause (refused)', Object.assign(new TypeError('fetch failed'), { cause: coded('ECONNREFUSED') }), 'connect'],
    ['code only on cause (dns)', Object.assign(new TypeError('fetch failed'), { cause: coded('ENOTFOUND') }), 'dns'],
    ['code only on cause (tls)', Object.assign(new TypeError('fetch failed'), { cause: coded('CERT_HAS_EXPIRED') }), 'tls'],
    ['code only on cause (timeout)', Object.assign(new TypeError('fetch failed'), { cause: coded('UND_ERR_CONNECT_TIMEOUT') }), 'timeout'],
    ['no code at all', new Error('something odd'), 'connect'],
    ['not an Error', 'a thrown string', 'connect'],
  ]
  for (const [name, error, expected] of cases) t.equal(classify(error, 15_000).errorClass, expected, name)

  t.equal(classify(coded('UND_ERR_HEADERS_TIMEOUT'), 15_000).message, 'no answer within 15 s', 'a timeout says the limit')
  t.equal(
    classify(coded('EBLOCKEDADDRESS', 'x resolves to a non-public address (10.0.0.1 is private)'), 15_000).message,
    'x resolves to a non-public address (10.0.0.1 is private)',
    'a blocked address keeps its own message',
  )
  t.equal(
    classify(coded('ECONNREFUSED', 'connect ECONNREFUSED 1.2.3.4:443'), 15_000).message,
    'ECONNREFUSED: connect ECONNREFUSED 1.2.3.4:443',
  )
  t.equal(classify('a thrown string', 15_000).message, 'a thrown string')
})

const SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
const answer = (statusCode: number | null, extra: Partial<AttemptResult> = {}): AttemptResult => ({
  statusCode,
  latencyMs: 10,
  errorClass: statusCode !== null && statusCode < 300 ? null : statusCode === null ? 'timeout' : 'http',
  error: null,
  responseBody: null,
  ...extra,
})
const near = (a: number | null, b: number) => a !== null && Math.abs(a - b) < 1e-9

t.test('nextStep: 2xx succeeds at any step, 410 fails for good', async (t) => {
  for (const step of [0, 3, 7]) {
    for (const status of [200, 204, 299]) {
      t.strictSame(
        nextStep({ scheduleStep: step }, answer(status), { schedule: SCHEDULE, manual: false }),
        { status: 'succeeded', scheduleStep: step + 1, delaySeconds: null },
        `${status} at step ${step}`,
      )
    }
    t.match(
      nextStep({ scheduleStep: step }, answer(410), { schedule: SCHEDULE, manual: false }),
      { status: 'failed', delaySeconds: null },
      `410 at step ${step}`,
    )
    t.match(
      nextStep({ scheduleStep: step }, answer(410, { retryAfterSeconds: 5 }), { schedule: SCHEDULE, manual: false }),
      { status: 'failed', delaySeconds: null },
      `410 with Retry-After at step ${step}`,
    )
  }
  t.match(
    nextStep({ scheduleStep: 0 }, answer(300), { schedule: SCHEDULE, manual: false }),
    { status: 'pending' },
    'a 3xx is a failure like any other',
  )
})

t.test('nextStep: failures walk the schedule with ±20 % jitter, then fail', async (t) => {
  for (const failure of [answer(500), answer(null), answer(301)]) {
    for (let step = 0; step < SCHEDULE.length - 1; step++) {
      const base = SCHEDULE[step + 1]!
      for (const [random, factor] of [
        [0, 0.8],
        [0.5, 1],
        [1, 1.2],
      ] as const) {
        const next = nextStep({ scheduleStep: step }, failure, { schedule: SCHEDULE, manual: false, random: () => random })
        t.ok(
          next.status === 'pending' && next.scheduleStep === step + 1 && near(next.delaySeconds, base * factor),
          `${failure.statusCode ?? failure.errorClass} after step ${step}, random ${random}: ${next.delaySeconds} s (${factor} × ${base})`,
        )
      }
    }
    t.strictSame(
      nextStep({ scheduleStep: 7 }, failure, { schedule: SCHEDULE, manual: false }),
      { status: 'failed', scheduleStep: 8, delaySeconds: null },
      `${failure.statusCode ?? failure.errorClass}: the 8th scheduled attempt was the last`,
    )
  }
  // Eight attempts in all, about 16 h 35 min from the first to the last.
  let state = { scheduleStep: 0 }
  let attempts = 1
  let total = 0
  for (;;) {
    const next = nextStep(state, answer(500), { schedule: SCHEDULE, manual: false, random: () => 0.5 })
    if (next.status !== 'pending') break
    attempts++
    total += next.delaySeconds!
    state = next
  }
  t.equal(attempts, 8)
  t.equal(total, 5 + 300 + 1800 + 7200 + 18000 + 36000 + 36000)
})

t.test('nextStep: Retry-After honoured, clamped to [1 s, 1 h]', async (t) => {
  const cases: Array<[number, number]> = [
    [120, 120],
    [0, 1],
    [0.2, 1],
    [1, 1],
    [3600, 3600],
    [3601, 3600],
    [86_400, 3600],
  ]
  for (const [asked, delay] of cases) {
    t.strictSame(
      nextStep({ scheduleStep: 2 }, answer(429, { retryAfterSeconds: asked }), { schedule: SCHEDULE, manual: false, random: () => 1 }),
      { status: 'pending', scheduleStep: 3, delaySeconds: delay },
      `Retry-After ${asked} → ${delay} s, no jitter`,
    )
  }
  t.match(
    nextStep({ scheduleStep: 7 }, answer(503, { retryAfterSeconds: 10 }), { schedule: SCHEDULE, manual: false }),
    { status: 'failed', delaySeconds: null },
    'Retry-After does not add attempts past the schedule',
  )
})

t.test('nextStep: a manual attempt uses no step', async (t) => {
  const manual = { schedule: SCHEDULE, manual: true, random: () => 0.5 }
  t.strictSame(
    nextStep({ scheduleStep: 8 }, answer(500), manual),
    { status: 'failed', scheduleStep: 8, delaySeconds: null },
    'exhausted delivery, manual failure: stays failed',
  )
  t.strictSame(
    nextStep({ scheduleStep: 8 }, answer(200), manual),
    { status: 'succeeded', scheduleStep: 8, delaySeconds: null },
    'exhausted delivery, manual success: succeeded',
  )
  t.strictSame(
    nextStep({ scheduleStep: 3 }, answer(500), manual),
    { status: 'pending', scheduleStep: 3, delaySeconds: 1800 },
    'pending delivery, manual failure: goes on at its step',
  )
  t.strictSame(
    nextStep({ scheduleStep: 3 }, answer(429, { retryAfterSeconds: 60 }), manual),
    { status: 'pending', scheduleStep: 3, delaySeconds: 60 },
    'manual 429: Retry-After still honoured',
  )
  t.match(nextStep({ scheduleStep: 3 }, answer(410), manual), { status: 'failed', delaySeconds: null }, 'manual 410: failed')
  t.strictSame(
    nextStep({ scheduleStep: 0 }, answer(500), manual),
    { status: 'pending', scheduleStep: 0, delaySeconds: 5 },
    'a delivery that never had an attempt (its endpoint was disabled): a failed manual try waits the first retry step, not 0 s',
  )
  t.strictSame(
    nextStep({ scheduleStep: 0 }, answer(500), { ...manual, schedule: [0] }),
    { status: 'failed', scheduleStep: 0, delaySeconds: null },
    'no retries configured: failed',
  )
})

const lead = {
  id: '0190a0b0-0000-7000-8000-000000000001',
  status: 'assigned',
  ownerId: 'rep-1',
  email: 'ann@acme.example',
  domain: 'acme.example',
  company: 'Acme',
  country: 'DE',
  source: 'web',
  score: 82,
  tier: 'A',
}
const eventRow = (data: Record<string, unknown>, extra: Partial<EventRow> = {}): EventRow => ({
  position: 1,
  txid: 1,
  id: '0190a0b0-0000-7000-8000-0000000000e1',
  type: 'lead.assigned',
  leadId: lead.id,
  data,
  createdAt: new Date('2026-05-01T12:00:00.123Z'),
  sequence: 3,
  ...extra,
})

// An endpoint an admin opted in to accept links (includeAcceptLinks), and one not.
const OPTED_IN = { acceptLinks: true }
const NOT_OPTED_IN = { acceptLinks: false }

t.test('payloadOf: lead.assigned carries its accept link only to an endpoint opted in', async (t) => {
  const data = { lead, rep: { name: 'Rita' }, acceptUrl: 'https://baton.example/v1/handoffs/accept?token=t' }
  t.equal(JSON.parse(payloadOf(eventRow(data), OPTED_IN)).data.acceptUrl, data.acceptUrl, 'opted in: the link')
  const stripped = JSON.parse(payloadOf(eventRow(data), NOT_OPTED_IN))
  t.notOk('acceptUrl' in stripped.data, 'not opted in: no acceptUrl at all')
  t.strictSame(stripped.data, { lead, rep: { name: 'Rita' } }, 'not opted in: everything else as it is')
  t.notMatch(payloadOf(eventRow({ ...data, notes: 'x'.repeat(25_000) }), NOT_OPTED_IN), /token=/, 'cut down over 20 KB: still no link')
  const other = { lead, acceptUrl: 'kept' }
  t.equal(
    JSON.parse(payloadOf(eventRow(other, { type: 'handoff.accepted' }), NOT_OPTED_IN)).data.acceptUrl,
    'kept',
    'only lead.assigned is filtered',
  )
})

t.test('payloadOf: {id, type, timestamp, sequence, data}, cut down over 20 KB', async (t) => {
  const data = { lead, rep: { name: 'Rita' } }
  t.strictSame(JSON.parse(payloadOf(eventRow(data), OPTED_IN)), {
    id: eventRow(data).id,
    type: 'lead.assigned',
    timestamp: '2026-05-01T12:00:00.123Z',
    sequence: 3,
    data,
  })
  t.equal(
    JSON.parse(payloadOf(eventRow({ reason: 'x' }, { leadId: null, sequence: null, type: 'webhook_endpoint.disabled' }), OPTED_IN))
      .sequence,
    null,
    'no lead: sequence null',
  )

  const under = { lead, notes: 'x'.repeat(19_000) }
  t.strictSame(JSON.parse(payloadOf(eventRow(under), OPTED_IN)).data, under, 'just under 20 KB: whole')
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['ASCII over 20 KB', { lead, notes: 'x'.repeat(25_000) }, { lead, truncated: true }],
    ['12,000 two-byte characters (24 KB, under 20,000 chars)', { lead, notes: 'é'.repeat(12_000) }, { lead, truncated: true }],
    ['no lead to keep', { notes: 'x'.repeat(25_000) }, { truncated: true }],
  ]
  for (const [name, big, expected] of cases) {
    const body = payloadOf(eventRow(big), OPTED_IN)
    const parsed = JSON.parse(body)
    t.strictSame(parsed.data, expected, name)
    t.match(parsed, { id: eventRow(big).id, type: 'lead.assigned', sequence: 3 }, `${name}: envelope kept`)
    t.ok(Buffer.byteLength(body) <= MAX_PAYLOAD_BYTES, `${name}: ${Buffer.byteLength(body)} bytes ≤ 20,000`)
  }
})

t.test('signedHeaders: Standard Webhooks signatures the official verifier accepts', async (t) => {
  const secret = (): EndpointSecret => ({
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    createdAt: new Date().toISOString(),
    expiresAt: null,
  })
  const [a, b, stranger] = [secret(), secret(), secret()]
  const body = payloadOf(eventRow({ lead }), OPTED_IN)
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 999)

  const one = signedHeaders('evt_1', body, [a], at)
  t.strictSame(Object.keys(one).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp'])
  t.equal(one['webhook-id'], 'evt_1')
  t.equal(one['webhook-timestamp'], String(Math.floor(at.getTime() / 1000)), 'whole seconds, rounded down')
  t.match(one['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/)
  t.strictSame(new Webhook(a.secret).verify(body, one), JSON.parse(body), 'one secret: verified')
  t.throws(() => new Webhook(stranger.secret).verify(body, one), 'another secret does not verify')
  t.throws(() => new Webhook(a.secret).verify(body.replace('ann@', 'bob@'), one), 'a changed body does not verify')

  const two = signedHeaders('evt_1', body, [a, b], at)
  t.equal(two['webhook-signature']!.split(' ').length, 2, 'one signature per secret')
  t.strictSame(new Webhook(a.secret).verify(body, two), JSON.parse(body), 'two secrets: the first alone verifies')
  t.strictSame(new Webhook(b.secret).verify(body, two), JSON.parse(body), 'two secrets: the second alone verifies')
  t.throws(() => new Webhook(stranger.secret).verify(body, two), 'a third secret does not')
})

// Every mrkdwn text in a Slack message: none may carry a raw <, > or an unescaped &.
type SlackBlock = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }> }
const mrkdwnTexts = (message: { blocks: SlackBlock[] }) =>
  message.blocks.flatMap((block) => [
    ...(block.text?.type === 'mrkdwn' ? [block.text.text] : []),
    ...(block.fields ?? []).map((f) => f.text),
  ])
const rawControl = /[<>]|&(?!amp;|lt;|gt;)/

t.test('slackMessage: lead.assigned has the summary and an Accept button', async (t) => {
  const data = {
    lead,
    rep: { name: 'Rita Rep' },
    handoff: { deadlineAt: '2026-05-01T12:15:00.000Z' },
    rule: { name: 'EMEA' },
    acceptUrl: 'https://baton.example/accept/tok?a=1&b=2',
  }
  const message = JSON.parse(slackMessage({ type: 'lead.assigned', data }, OPTED_IN))
  t.match(message.text, /Rita Rep/)
  t.match(message.text, /ann@acme\.example \(Acme\)/)
  t.match(message.text, /accept by 12:15 UTC/)
  const actions = message.blocks.filter((b: { type: string }) => b.type === 'actions')
  t.equal(actions.length, 1)
  t.match(
    actions[0].elements,
    [{ type: 'button', text: { type: 'plain_text', text: 'Accept' }, url: data.acceptUrl }],
    'the button opens the accept link, as is',
  )
  t.strictSame(
    mrkdwnTexts(message),
    [`*${message.text}*`, '*Score*\n82', '*Tier*\nA', '*Country*\nDE', '*Source*\nweb', '*Rule*\nEMEA'],
    'the lead summary as fields',
  )

  const noLink = JSON.parse(slackMessage({ type: 'lead.assigned', data: { ...data, acceptUrl: null } }, OPTED_IN))
  t.notOk(
    noLink.blocks.some((b: { type: string }) => b.type === 'actions'),
    'no accept link: no actions block',
  )
  const notOptedIn = slackMessage({ type: 'lead.assigned', data }, NOT_OPTED_IN)
  t.notOk(
    JSON.parse(notOptedIn).blocks.some((b: { type: string }) => b.type === 'actions'),
    'an endpoint not opted in: no Accept button',
  )
  t.notMatch(notOptedIn, /accept\/tok/, 'and the link appears nowhere in the message')
  t.match(JSON.parse(notOptedIn).text, /Rita Rep/, 'the summary is still there')

  const nasty = JSON.parse(
    slackMessage(
      { type: 'lead.assigned', data: { ...data, lead: { ...lead, company: 'Smith & <Jones> @here' }, rep: { name: 'R<b>' } } },
      OPTED_IN,
    ),
  )
  t.match(nasty.text, /Smith &amp; &lt;Jones&gt; @here/, 'company escaped')
  t.match(nasty.text, /R&lt;b&gt;/, 'rep name escaped')
  for (const text of [nasty.text, ...mrkdwnTexts(nasty)]) t.notMatch(text, rawControl, `no raw control character: ${text.slice(0, 60)}`)
})

t.test('slackMessage: other types are one short line in one section', async (t) => {
  const nastyLead = { ...lead, company: 'A&B <Co>', status: 'qualified' }
  const cases: Array<[string, Record<string, unknown>, RegExp[]]> = [
    ['handoff.accepted', { lead: nastyLead, rep: { name: 'Rita Rep' } }, [/accepted by Rita Rep/, /A&amp;B &lt;Co&gt;/]],
    ['handoff.expired', { lead: nastyLead, rep: { name: 'Rita Rep' } }, [/not accepted in time by Rita Rep/, /ann@acme\.example/]],
    [
      'rep.auto_away',
      { rep: { name: 'Rita Rep' }, reason: '3 handoffs in a row expired' },
      [/Rita Rep is set away \(3 handoffs in a row expired\)/],
    ],
    [
      'webhook_endpoint.disabled',
      {
        endpoint: { id: 'e1', origin: 'https://crm.example', description: 'CRM', kind: 'standard' },
        reason: 'the receiver answered 410 Gone',
      },
      [/410 Gone/, /CRM is disabled/],
    ],
    ['lead.qualified', { lead: nastyLead }, [/ann@acme\.example \(A&amp;B &lt;Co&gt;\), now qualified/]],
  ]
  for (const [type, data, expected] of cases) {
    const message = JSON.parse(slackMessage({ type, data }, NOT_OPTED_IN))
    t.equal(message.blocks.length, 1, `${type}: one block`)
    t.match(message.blocks[0], { type: 'section', text: { type: 'mrkdwn', text: message.text } }, `${type}: a section with the line`)
    t.ok(
      message.text.startsWith(`${type}: `) && !message.text.includes('\n') && message.text.length < 200,
      `${type}: one short line: ${message.text}`,
    )
    for (const pattern of expected) t.match(message.text, pattern, `${type}: ${pattern}`)
    t.notMatch(message.text, rawControl, `${type}: escaped`)
  }
})
