import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

const DAY_MS = 24 * 3600 * 1000

async function counts(baton: TestApp) {
  const { rows } = await baton.deps.pool.query(
    'select (select count(*) from leads)::int as leads, (select count(*) from events)::int as events',
  )
  return rows[0] as { leads: number; events: number }
}

async function typesOf(baton: TestApp, leadId: string): Promise<string[]> {
  const res = await baton.app.inject({ url: `/v1/leads/${leadId}/timeline`, headers: await baton.auth('integration') })
  return res.json().data.map((e: { type: string }) => e.type)
}

t.test('POST /v1/leads', async (t) => {
  const baton = await buildTestApp(t)
  // Tokens expire by the injected clock, and these tests move it by days: sign each request anew.
  const post = async (payload: object) =>
    baton.app.inject({ method: 'POST', url: '/v1/leads', headers: await baton.auth('integration'), payload })
  const get = async (url: string) => baton.app.inject({ url, headers: await baton.auth('integration') })

  t.test('a demo request is normalised, qualified and recorded', async (t) => {
    const res = await post({
      email: '  Jane.Doe@Gmail-Like.example ',
      firstName: ' Jane ',
      website: 'https://www.acme.com/about',
      country: 'de',
      company: 'Acme GmbH',
      productInterest: ['crm', 'crm', ' analytics '],
      source: 'Webinar',
      utm: { source: 'google', medium: '  ' },
      signals: { demoRequested: true },
    })
    t.equal(res.statusCode, 201)
    const { lead, decision, handoff, duplicate } = res.json()
    t.match(lead, {
      email: 'jane.doe@gmail-like.example',
      firstName: 'Jane',
      domain: 'acme.com',
      country: 'DE',
      productInterest: ['crm', 'analytics'],
      source: 'webinar',
      utm: { source: 'google' },
      status: 'unrouted',
      ownerId: null,
      qualified: true,
      tier: 'demo',
      submissions: 1,
    })
    t.notOk('medium' in lead.utm, 'blank values are dropped')
    t.match(decision, { qualified: true, outcome: 'qualified', tier: 'demo', acceptWithinSeconds: 1800, scoringVersion: 1 })
    t.match(decision.reasons, [
      { kind: 'points', rule: 'named a product' },
      { kind: 'fast_lane', rule: 'demo requested' },
      { kind: 'tier', detail: /demo/ },
    ])
    t.equal(handoff, null, 'the seeded ruleset has no rules: a qualified lead waits')
    t.match(res.json().routing, {
      outcome: 'unroutable',
      version: 1,
      reason: 'no rule matched and the ruleset has no fallback',
      retryAt: null,
    })
    t.equal(duplicate, false)
    t.same(
      await typesOf(baton, lead.id),
      ['lead.received', 'lead.scored', 'lead.qualified', 'lead.unroutable'],
      'every transition is an event',
    )
    t.same((await get(`/v1/leads/${lead.id}`)).json(), lead, 'GET answers the same lead, decision included')
  })

  t.test('free mail is disqualified; too few points are nurtured', async (t) => {
    const free = (await post({ email: 'someone@gmail.com', signals: { demoRequested: true } })).json()
    t.match(free, {
      lead: { status: 'disqualified' },
      decision: { outcome: 'disqualified', reasons: [{ kind: 'disqualify', rule: 'free-mail address' }] },
    })
    t.same(await typesOf(baton, free.lead.id), ['lead.received', 'lead.scored', 'lead.disqualified'])
    const small = (await post({ email: 'info@tiny.example', employees: 3 })).json()
    t.match(small, { lead: { status: 'nurture', score: 0 }, decision: { outcome: 'nurture' } })
    t.same(await typesOf(baton, small.lead.id), ['lead.received', 'lead.scored', 'lead.nurtured'])
  })

  t.test('the same email again is the same lead: merged, re-scored, promoted', async (t) => {
    const first = (
      await post({ email: 'repeat@beta.example', phone: '+1 555 0100', utm: { campaign: 'first' }, signals: { pricingPageViews: 1 } })
    ).json()
    t.equal(first.lead.status, 'nurture')
    baton.clock.advance(2 * DAY_MS)
    const again = await post({
      email: 'REPEAT@beta.example',
      employees: 300,
      utm: { campaign: 'second' },
      signals: { pricingPageViews: 4, demoRequested: false },
    })
    t.equal(again.statusCode, 200)
    const body = again.json()
    t.equal(body.duplicate, true)
    t.equal(body.lead.id, first.lead.id)
    t.match(body.lead, {
      status: 'unrouted',
      phone: '+1 555 0100',
      employees: 300,
      utm: { campaign: 'first' },
      signals: { pricingPageViews: 4, demoRequested: false },
      submissions: 2,
      score: 40,
      lastSubmittedAt: baton.clock.now().toISOString(),
    })
    t.equal(body.lead.createdAt, first.lead.createdAt)
    t.same(await typesOf(baton, first.lead.id), [
      'lead.received',
      'lead.scored',
      'lead.nurtured',
      'lead.duplicate',
      'lead.scored',
      'lead.qualified',
      'lead.unroutable',
    ])

    const third = (await post({ email: 'repeat@beta.example', employees: 1 })).json()
    t.match(third.lead, { status: 'unrouted', submissions: 3 }, 'a qualified lead is not demoted by a later submission')
    t.equal(third.routing, null, 'nor routed again by one')
    t.equal(third.decision.outcome, 'nurture', 'though the decision says what the new data scores')
  })

  t.test('after the dedupe window the same email is a new lead', async (t) => {
    const first = (await post({ email: 'later@gamma.example' })).json()
    baton.clock.advance(30 * DAY_MS + 1000)
    const second = await post({ email: 'later@gamma.example' })
    t.equal(second.statusCode, 201)
    t.not(second.json().lead.id, first.lead.id)
  })

  t.test('20 parallel posts of one new email make exactly one lead', async (t) => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post({ email: 'rush@delta.example', signals: { [`visit${i}`]: true } })),
    )
    t.same(results.map((r) => r.statusCode).sort(), [...Array(19).fill(200), 201].sort())
    const ids = new Set(results.map((r) => r.json().lead.id))
    t.equal(ids.size, 1, 'every answer names the same lead')
    const { rows } = await baton.deps.pool.query(
      "select submissions, jsonb_object_keys(signals) as k from leads where email = 'rush@delta.example'",
    )
    t.equal(rows.length, 20, "every submission's signals were merged")
    t.equal(rows[0].submissions, 20)
  })

  t.test('bad input: 422 naming the field, nothing written', async (t) => {
    const before = await counts(baton)
    const cases: Array<[string, object, string]> = [
      ['no email', { firstName: 'x' }, '/email'],
      ['not an email', { email: 'not-an-email' }, '/email'],
      ['email without a real domain', { email: 'a@localhost' }, '/email'],
      ['unknown country code', { email: 'a@b.example', country: 'XX' }, '/country'],
      ['country name instead of a code', { email: 'a@b.example', country: 'Germany' }, '/country'],
      ['website that is not one', { email: 'a@b.example', website: 'not a site' }, '/website'],
      ['negative employees', { email: 'a@b.example', employees: -1 }, '/employees'],
      ['fractional revenue', { email: 'a@b.example', annualRevenue: 10.5 }, '/annualRevenue'],
      ['too many products', { email: 'a@b.example', productInterest: Array.from({ length: 51 }, (_, i) => `p${i}`) }, '/productInterest'],
      ['nested signal', { email: 'a@b.example', signals: { deep: { x: 1 } } }, '/signals/deep'],
      ['custom over 8 KB', { email: 'a@b.example', custom: { blob: 'x'.repeat(9000) } }, '/custom'],
      ['unknown field', { email: 'a@b.example', favouriteColour: 'red' }, '/favouriteColour'],
      ['string for a number', { email: 'a@b.example', employees: '50' }, '/employees'],
    ]
    for (const [name, payload, pointer] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 422, name)
      t.ok(
        res.json().errors.some((e: { pointer: string }) => e.pointer === pointer),
        `${name}: points at ${pointer}`,
      )
    }
    t.same(await counts(baton), before, 'no lead and no event was written')
  })

  t.test('who may submit and read', async (t) => {
    const rep = await baton.auth('rep', '01900000-0000-7000-8000-000000000000')
    t.equal((await baton.app.inject({ method: 'POST', url: '/v1/leads', headers: rep, payload: { email: 'x@y.example' } })).statusCode, 403)
    t.equal(
      (
        await baton.app.inject({
          method: 'POST',
          url: '/v1/leads',
          headers: await baton.auth('admin'),
          payload: { email: 'admin@y.example' },
        })
      ).statusCode,
      201,
    )
    t.equal((await get('/v1/leads/01900000-0000-7000-8000-000000000000')).statusCode, 404)
    t.equal((await get('/v1/leads/01900000-0000-7000-8000-000000000000/timeline')).statusCode, 404)
  })

  t.test('GET /v1/leads filters and pages', async (t) => {
    const unrouted = (await get('/v1/leads?status=unrouted&limit=500')).json()
    t.ok(unrouted.data.length >= 2)
    t.ok(unrouted.data.every((l: { status: string }) => l.status === 'unrouted'))
    const webinar = (await get('/v1/leads?source=WEBINAR')).json()
    t.equal(webinar.data.length, 1)
    const future = (await get(`/v1/leads?createdAfter=${new Date(baton.clock.now().getTime() + 1000).toISOString()}`)).json()
    t.same(future.data, [])
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { data: Array<{ id: string }>; nextCursor: string | null } = (
        await get(`/v1/leads?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()
      seen.push(...page.data.map((l) => l.id))
      cursor = page.nextCursor
    } while (cursor)
    t.equal(seen.length, (await counts(baton)).leads)
    t.equal((await get('/v1/leads?status=lost')).statusCode, 400)
  })
})

t.test('GET /v1/events', async (t) => {
  const baton = await buildTestApp(t)
  const headers = await baton.auth('integration')
  const feed = async (query: Record<string, string> = {}) => {
    const res = await baton.app.inject({ url: '/v1/events', query, headers })
    t.equal(res.statusCode, 200)
    return res.json<{ data: Array<{ id: string; type: string; data: { lead: { id: string } } }>; nextCursor: string; hasMore: boolean }>()
  }
  const post = (email: string, extra: object = {}) =>
    baton.app.inject({ method: 'POST', url: '/v1/leads', headers, payload: { email, ...extra } })

  const empty = await feed()
  t.same(empty.data, [])
  t.type(empty.nextCursor, 'string', 'an empty feed still gives a cursor to poll from')

  await post('one@acme.example', { signals: { demoRequested: true } })
  await post('two@gmail.com')
  const all = await feed()
  t.same(
    all.data.map((e) => e.type),
    ['lead.received', 'lead.scored', 'lead.qualified', 'lead.unroutable', 'lead.received', 'lead.scored', 'lead.disqualified'],
  )
  t.same(
    all.data.map((e) => e.id),
    [...all.data.map((e) => e.id)].sort(),
    'UUIDv7 ids sort in feed order',
  )

  const firstTwo = await feed({ limit: '2' })
  t.equal(firstTwo.hasMore, true)
  const rest = await feed({ after: firstTwo.nextCursor })
  t.same(
    [...firstTwo.data, ...rest.data].map((e) => e.id),
    all.data.map((e) => e.id),
    'pages join without gaps or repeats',
  )
  const caughtUp = await feed({ after: all.nextCursor })
  t.same(caughtUp.data, [])
  t.equal(caughtUp.nextCursor, all.nextCursor, 'polling at the end keeps the cursor')

  t.same(
    (await feed({ types: 'lead.qualified,lead.disqualified' })).data.map((e) => e.type),
    ['lead.qualified', 'lead.disqualified'],
  )
  t.equal((await feed({ types: 'lead.*' })).data.length, 7)
  for (const bad of ['lead.exploded', 'nothing.*', 'lead']) {
    const res = await baton.app.inject({ url: '/v1/events', query: { types: bad }, headers })
    t.equal(res.statusCode, 400, `types=${bad}`)
  }
  t.equal((await baton.app.inject({ url: '/v1/events', query: { after: 'bogus' }, headers })).statusCode, 400)

  t.test('a transaction that commits late is never skipped', async (t) => {
    const start = await feed()
    // A writer that began first and commits last: its event has the smaller transaction id.
    const slow = await baton.deps.pool.connect()
    t.teardown(() => slow.release())
    await slow.query('begin')
    await slow.query(
      "insert into events (id, type, data, created_at) values ('01900000-0000-7000-8000-0000000000aa', 'lead.closed', '{}', now())",
    )
    await post('three@acme.example')
    const whileOpen = await feed({ after: start.nextCursor })
    t.same(whileOpen.data, [], 'nothing after the open transaction is served while it may still commit before it')
    await slow.query('commit')
    const afterCommit = await feed({ after: whileOpen.nextCursor })
    t.same(
      afterCommit.data.map((e) => e.type),
      ['lead.closed', 'lead.received', 'lead.scored', 'lead.nurtured'],
      'the late commit comes first, nothing is lost',
    )
  })

  t.test('concurrent writers: every event is served exactly once', async (t) => {
    let cursor = (await feed()).nextCursor
    const served: string[] = []
    const writers = Promise.all(Array.from({ length: 30 }, (_, i) => post(`w${i}@load.example`)))
    for (let polls = 0; polls < 200; polls++) {
      const page = await feed({ after: cursor, limit: '7' })
      served.push(...page.data.map((e) => e.id))
      cursor = page.nextCursor
      if (served.length >= 90) break
    }
    await writers
    for (;;) {
      const page = await feed({ after: cursor })
      served.push(...page.data.map((e) => e.id))
      cursor = page.nextCursor
      if (!page.hasMore) break
    }
    t.equal(served.length, 90, '30 leads × 3 events')
    t.equal(new Set(served).size, 90, 'none twice')
  })
})

t.test('Idempotency-Key', async (t) => {
  const baton = await buildTestApp(t)
  const post = async (key: string | undefined, payload: object, role: 'integration' | 'admin' = 'integration') =>
    baton.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { ...(await baton.auth(role)), ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload,
    })

  const first = await post('"order-1"', { email: 'idem@acme.example', signals: { demoRequested: true }, company: 'Acme' })
  t.equal(first.statusCode, 201)
  t.notOk(first.headers['idempotent-replayed'])
  const again = await post('order-1', { company: 'Acme', signals: { demoRequested: true }, email: 'idem@acme.example' })
  t.equal(again.statusCode, 201, 'the same key and body (members in another order) get the first answer')
  t.equal(again.body, first.body, 'byte for byte')
  t.equal(again.headers['idempotent-replayed'], 'true')
  const { rows } = await baton.deps.pool.query("select submissions from leads where email = 'idem@acme.example'")
  t.same(rows, [{ submissions: 1 }], 'the retry did not submit the lead again')

  const changed = await post('order-1', { email: 'idem@acme.example', company: 'Other' })
  t.equal(changed.statusCode, 422)
  t.match(changed.json(), { code: 'unprocessable', detail: /different request body/ })

  const otherCaller = await post('order-1', { email: 'idem@acme.example', company: 'Other' }, 'admin')
  t.equal(otherCaller.statusCode, 200, "keys belong to their caller: another caller's same key is a new request (here a duplicate)")

  baton.clock.advance(24 * 3600 * 1000 + 1000)
  const expired = await post('order-1', { email: 'idem@acme.example', company: 'Other' })
  t.equal(expired.statusCode, 200, 'after 24 h the key is forgotten and the request runs again')
  t.notOk(expired.headers['idempotent-replayed'])

  for (const bad of ['', 'with space', 'x'.repeat(256)]) {
    t.equal((await post(bad, { email: 'k@acme.example' })).statusCode, 400, `key ${JSON.stringify(bad.slice(0, 20))}`)
  }

  t.test('two concurrent requests with one key: one runs, the other is told to wait or replays', async (t) => {
    const results = await Promise.all(Array.from({ length: 8 }, () => post('burst-1', { email: 'burst@acme.example' })))
    const statuses = results.map((r) => r.statusCode)
    t.ok(
      statuses.every((s) => s === 201 || s === 409),
      `only 201 or 409: ${statuses.join(',')}`,
    )
    t.ok(statuses.includes(201))
    const created = results.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed'])
    t.equal(created.length, 1, 'exactly one request did the work')
    t.ok(
      results.filter((r) => r.statusCode === 201).every((r) => r.body === created[0]!.body),
      'every 201 is the same answer',
    )
    const { rows } = await baton.deps.pool.query("select submissions from leads where email = 'burst@acme.example'")
    t.same(rows, [{ submissions: 1 }])
  })
})
