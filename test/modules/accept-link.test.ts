import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose'
import pino from 'pino'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { redactQuery } from '../../src/plugins/request-log.ts'
import { startServices } from '../../src/runtime.ts'
import { TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'
import { handoffHarness, NOBODY, PROBLEM, type HandoffHarness } from '../helpers/handoffs.ts'

const PUBLIC_URL = 'https://baton.example'
const HTML = 'text/html; charset=utf-8'
// What a browser sends when the page's form (no fields) is submitted.
const BROWSER_POST = {
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
}
const JSON_ACCEPT = { accept: 'application/json' }
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'content-security-policy': /default-src 'none'/,
}

/** The path and query of an accept URL: what a browser asks Baton for. */
const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`
const withToken = (token: string) => `/v1/handoffs/accept?token=${token}`
/** The token with one character in the middle of the part `part` (0 header, 1 payload, 2 signature) changed. */
function tamper(token: string, part: 1 | 2): string {
  const parts = token.split('.')
  const text = parts[part]!
  const i = Math.floor(text.length / 2) // not the last character: its low bits may be padding
  parts[part] = `${text.slice(0, i)}${text[i] === 'A' ? 'B' : 'A'}${text.slice(i + 1)}`
  return parts.join('.')
}

/** Requests as a browser (or, with JSON_ACCEPT, a script) makes them: no Authorization header. */
function browser(h: HandoffHarness) {
  return {
    get: (url: string) => h.baton.app.inject({ method: 'GET', url }),
    post: (url: string, headers: Record<string, string> = BROWSER_POST) =>
      h.baton.app.inject({ method: 'POST', url, headers, ...(headers['content-type'] ? { payload: '' } : {}) }),
  }
}

let leads = 0
/** A qualifying lead, assigned; its handoff and the accept link its lead.assigned event carries. */
async function assignedLead(h: HandoffHarness, company?: string) {
  leads++
  const { lead, handoff } = await h.ok(
    'POST',
    '/v1/leads',
    { email: `buyer${leads}@acme.example`, ...(company ? { company } : {}), signals: { demoRequested: true } },
    201,
    'integration',
  )
  const assigned = (await h.events(lead.id)).filter((e) => e.type === 'lead.assigned').at(-1)
  const url = assigned?.data.acceptUrl as string
  return { lead, handoff, url, path: pathOf(url), token: new URL(url).searchParams.get('token')! }
}

/** Asserts an HTML page of the link, with its credential-protecting headers. */
function isPage(
  t: Test,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  text: RegExp,
  name: string,
) {
  t.equal(res.statusCode, status, `${name}: ${status}`)
  t.equal(res.headers['content-type'], HTML, `${name}: an HTML page`)
  t.match(res.headers, PAGE_HEADERS, `${name}: not cached, indexed or referred`)
  t.match(res.body, text, `${name}: says why`)
}

const acceptedEvents = async (h: HandoffHarness, leadId: string) => (await h.events(leadId)).filter((e) => e.type === 'handoff.accepted')

t.test('one-click accept links', async (t) => {
  const h = await handoffHarness(t, { env: { PUBLIC_URL } })
  await h.setup(2)
  const { get, post } = browser(h)

  t.test('the lead.assigned event carries a link under PUBLIC_URL for the handoff and its rep', async (t) => {
    const { handoff, url, token } = await assignedLead(h)
    t.match(url, /^https:\/\/baton\.example\/v1\/handoffs\/accept\?token=[\w-]+\.[\w-]+\.[\w-]+$/)
    t.same(decodeJwt(token), {
      hid: handoff.id,
      iss: 'baton',
      aud: 'baton-accept-link',
      sub: handoff.repId,
      iat: Math.floor(h.baton.clock.now().getTime() / 1000),
      exp: Date.parse(handoff.deadlineAt) / 1000,
    })
    t.same(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' })
  })

  t.test('GET shows the handoff page and accepts nothing, however often it is fetched', async (t) => {
    const { lead, handoff, path } = await assignedLead(h, 'Acme <script>alert(1)</script>')
    for (let i = 1; i <= 3; i++) {
      const res = await get(path)
      isPage(t, res, 200, /Accept the lead/, `GET #${i}`)
      t.match(res.body, 'Acme &#60;script&#62;alert(1)&#60;/script&#62;', 'names the company, escaped')
      t.notMatch(res.body, '<script>', 'no markup from the lead')
      t.match(res.body, lead.email, 'names the email')
      t.match(res.body, `<form method="post" action="${path}"`, 'a form that posts back to the link')
    }
    t.match(await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200), { status: 'pending' }, 'still pending')
    t.match(await h.lead(lead.id), { ownerId: null })
    t.equal((await acceptedEvents(h, lead.id)).length, 0, 'no handoff.accepted event')
  })

  t.test("POST accepts as the link's rep, once", async (t) => {
    const { lead, handoff, path } = await assignedLead(h, 'Globex')
    const res = await post(path)
    isPage(t, res, 200, /<h1>Accepted<\/h1>/, 'first POST')
    t.match(await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200), { status: 'accepted', repId: handoff.repId })
    t.match(await h.lead(lead.id), { status: 'accepted', ownerId: handoff.repId })
    const accepted = await acceptedEvents(h, lead.id)
    t.equal(accepted.length, 1, 'one handoff.accepted event')
    t.match(accepted[0]?.data, { handoff: { id: handoff.id }, rep: { id: handoff.repId } })
    const tasks = await h.sql('select rep_id, kind, status from tasks where lead_id = $1', [lead.id])
    t.same(tasks, [{ rep_id: handoff.repId, kind: 'first_contact', status: 'open' }], 'a first-contact task for the rep')

    const events = await h.eventCount()
    isPage(t, await post(path), 409, /already used/, 'the link again')
    const json = await post(path, JSON_ACCEPT)
    t.equal(json.statusCode, 409)
    t.equal(json.headers['content-type'], PROBLEM)
    t.match(json.json(), { status: 409, code: 'conflict', handoffStatus: 'accepted' })
    const page = await get(path)
    isPage(t, page, 409, /already accepted/, 'GET of a used link')
    t.notMatch(page.body, '<form', 'nothing to submit')
    t.equal(await h.eventCount(), events, 'no new event')
  })

  t.test('a script that asks for JSON gets the Handoff', async (t) => {
    const { lead, handoff, path } = await assignedLead(h)
    const res = await post(path, JSON_ACCEPT)
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.json(), {
      id: handoff.id,
      leadId: lead.id,
      repId: handoff.repId,
      status: 'accepted',
      respondedAt: h.baton.clock.now().toISOString(),
    })
  })

  t.test('a changed or foreign token is 400 and accepts nothing', async (t) => {
    const { lead, handoff, token } = await assignedLead(h)
    const otherSecret = await new SignJWT({ hid: handoff.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('baton')
      .setAudience('baton-accept-link')
      .setSubject(handoff.repId)
      .setExpirationTime(Date.parse(handoff.deadlineAt) / 1000)
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256'))
    const cases = {
      'a changed signature': tamper(token, 2),
      'a changed payload': tamper(token, 1),
      'another secret': otherSecret,
      'an API token of the same rep': await h.baton.token('rep', handoff.repId),
      'not a JWT': 'not-a-token',
      'an unsigned (alg none) copy': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`,
    }
    for (const [name, bad] of Object.entries(cases)) {
      isPage(t, await get(withToken(bad)), 400, /not valid/, `GET with ${name}`)
      isPage(t, await post(withToken(bad)), 400, /not valid/, `POST with ${name}`)
      const json = await post(withToken(bad), JSON_ACCEPT)
      t.equal(json.statusCode, 400, `JSON POST with ${name}`)
      t.match(json.json(), { status: 400, code: 'bad_request' })
    }
    for (const url of ['/v1/handoffs/accept', '/v1/handoffs/accept?token=']) {
      const res = await get(url)
      t.equal(res.statusCode, 400, `GET ${url}`)
      t.match(res.json(), { code: 'validation_failed', errors: [{ in: 'query' }] })
      t.equal((await post(url)).statusCode, 400, `POST ${url}`)
    }
    t.match(await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200), { status: 'pending' }, 'still pending')
    t.equal((await acceptedEvents(h, lead.id)).length, 0)
  })

  t.test('two clicks at once: one accepts, the other is told the link was used', async (t) => {
    const { lead, path } = await assignedLead(h)
    const statuses = (await Promise.all([post(path), post(path)])).map((res) => res.statusCode).sort()
    t.same(statuses, [200, 409])
    t.equal((await acceptedEvents(h, lead.id)).length, 1, 'one handoff.accepted event')
  })

  t.test('a link a mail tracker appended a parameter to still works', async (t) => {
    const { handoff, path } = await assignedLead(h)
    const res = await get(`${path}&utm_source=newsletter`)
    t.equal(res.statusCode, 200, 'GET shows the page')
    t.equal(res.headers['content-type'], HTML, 'an HTML page, not problem+json')
    t.equal((await post(`${path}&utm_source=newsletter`)).statusCode, 200, 'POST accepts')
    t.equal((await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).status, 'accepted', "by the link's rep")
  })

  t.test('a link stops at the deadline itself, not at the next whole second', async (t) => {
    h.baton.clock.advance(500) // a deadline with milliseconds, as nearly every real one has
    const { handoff, path } = await assignedLead(h)
    h.baton.clock.advance(Date.parse(handoff.deadlineAt) + 100 - h.baton.clock.now().getTime())
    const page = await get(path)
    t.equal(page.statusCode, 410, 'GET')
    t.notMatch(page.body, '<form', 'no Accept button')
    t.equal((await post(path)).statusCode, 410, 'POST')
  })

  t.test('a link is no API token', async (t) => {
    const { token } = await assignedLead(h)
    const res = await h.baton.app.inject({ method: 'GET', url: '/v1/handoffs', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['content-type'], PROBLEM)
  })

  t.test("a link to a declined handoff is 409 and never accepts the next rep's handoff", async (t) => {
    const first = await assignedLead(h)
    await h.ok('POST', `/v1/handoffs/${first.handoff.id}/decline`, { reason: 'too busy' }, 200, 'rep', first.handoff.repId)
    const next = await h.pendingOf(first.lead.id)
    t.not(next.repId, first.handoff.repId, 're-routed to the other rep')
    const page = await get(first.path)
    isPage(t, page, 409, /already declined/, 'GET')
    t.notMatch(page.body, '<form')
    isPage(t, await post(first.path), 409, /Nothing to do.*already declined/s, 'POST')
    t.match(await h.ok('GET', `/v1/handoffs/${next.id}`, undefined, 200), { status: 'pending' }, 'the new handoff still waits')
    t.match(await h.lead(first.lead.id), { ownerId: null })
    t.equal((await acceptedEvents(h, first.lead.id)).length, 0)
  })

  t.test('a link to a handoff the deadline job expired (within its second of tolerance) is 410, too late', async (t) => {
    const { lead, handoff, path } = await assignedLead(h)
    h.baton.clock.advance(Date.parse(handoff.deadlineAt) - 500 - h.baton.clock.now().getTime())
    t.equal(await h.service.expire(handoff.id), 'expired')
    isPage(t, await get(path), 410, /Too late.*expired/s, 'GET')
    isPage(t, await post(path), 410, /Too late.*expired/s, 'POST')
    t.match(await h.lead(lead.id), { ownerId: null })
  })

  t.test('past the deadline the link is 410, before and after the lead moved on', async (t) => {
    const { lead, handoff, path } = await assignedLead(h)
    h.pastDeadline(handoff)
    for (const when of ['before the job ran', 'after the lead was re-routed']) {
      const page = await get(path)
      isPage(t, page, 410, /expired/, `GET ${when}`)
      t.notMatch(page.body, '<form')
      isPage(t, await post(path), 410, /expired/, `POST ${when}`)
      const json = await post(path, JSON_ACCEPT)
      t.equal(json.statusCode, 410)
      t.match(json.json(), { status: 410, code: 'link_expired' })
      if (when === 'before the job ran') t.equal(await h.service.expire(handoff.id), 'expired')
    }
    const next = await h.pendingOf(lead.id)
    t.not(next.repId, handoff.repId, 're-routed to the other rep')
    t.match(await h.ok('GET', `/v1/handoffs/${next.id}`, undefined, 200), { status: 'pending' }, 'the new handoff still waits')
    t.equal((await acceptedEvents(h, lead.id)).length, 0)
  })
})

t.test('redactQuery hides credential-bearing query values', async (t) => {
  t.equal(redactQuery('/v1/handoffs/accept?token=aaa.bbb.ccc'), '/v1/handoffs/accept?token=[redacted]')
  // (No fragment: browsers never send one, so request.url has none.)
  t.equal(redactQuery('/x?a=1&Token=abc&b=2'), '/x?a=1&Token=[redacted]&b=2')
  t.equal(redactQuery('/x?key=k&secret=s&signature=sig'), '/x?key=[redacted]&secret=[redacted]&signature=[redacted]')
  t.equal(redactQuery('/x?mytoken=visible'), '/x?mytoken=visible', 'only whole parameter names')
})

t.test('the request log never shows a link token', async (t) => {
  const { url, drop } = await createTestDatabase()
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
  const config = loadConfig({ AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ROLE: 'api', DATABASE_URL: url, PUBLIC_URL })
  const services = await startServices(config, url, { clock: manualClock(), logger })
  t.teardown(async () => {
    await services.close()
    await drop()
  })
  // A well-signed link to a handoff this database does not have: 409 on GET, 404 on POST.
  const link = await services.deps.acceptLinks.urlFor({ id: NOBODY, repId: NOBODY, deadlineAt: new Date('2026-01-05T10:00:00Z') })
  const token = new URL(link!).searchParams.get('token')!
  const requests = [
    { method: 'GET', url: withToken(token), headers: {}, status: 409 },
    { method: 'POST', url: withToken(token), headers: BROWSER_POST, status: 404 },
    { method: 'POST', url: withToken(token), headers: JSON_ACCEPT, status: 404 },
    { method: 'GET', url: withToken(tamper(token, 2)), headers: {}, status: 400 },
  ] as const
  const settled = () => new Promise((resolve) => setImmediate(resolve)) // the line is written once the response has finished
  for (const request of requests) {
    const res = await services.app.inject({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.method === 'POST' && 'content-type' in request.headers ? { payload: '' } : {}),
    })
    t.equal(res.statusCode, request.status, `${request.method} ${request.url.slice(0, 40)}: status`)
    await settled()
    const logged = lines
      .map((line) => JSON.parse(line) as { requestId?: string; url?: string })
      .filter((entry) => entry.requestId === res.headers['x-request-id'] && entry.url)
    t.equal(logged.length, 1, 'one request line')
    t.match(logged[0]?.url, /token=\[redacted\]$/, 'the url is logged with the token redacted')
  }
  const signature = token.split('.')[2]!
  t.notOk(
    lines.some((line) => line.includes(signature)),
    "no line holds the link's signature",
  )

  // The query parser decodes parameter names, so ?%74oken= is ?token= to the route; redactQuery compares them decoded too.
  const encoded = await services.app.inject({ url: `/v1/handoffs/accept?%74oken=${token}` })
  t.equal(encoded.statusCode, 409, 'the link works with its parameter name percent-encoded')
  await settled()
  t.notOk(
    lines.some((line) => line.includes(signature)),
    'and its token is not logged then either',
  )
})
