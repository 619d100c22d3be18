// Admin CRUD of webhook endpoints, the SSRF guard on their URLs, and secret rotation with a grace period.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { isSealed, openSecret } from '../../src/lib/secret-box.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'

const GHOST = '01900000-0000-7000-8000-000000000000'
const BASE = '/v1/webhook-endpoints'
// whsec_ and the base64 of 32 bytes: 43 characters and one pad.
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/
const HOUR = 3600_000

const pointers = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer)

interface StoredSecret {
  secret: string
  createdAt: string
  expiresAt: string | null
}

t.test('webhook endpoints', async (t) => {
  const baton = await buildTestApp(t)
  const { call, ok, sql } = apiClient(baton)
  const create = (body: object = {}) => ok('POST', BASE, { url: 'https://hooks.example.test/baton', ...body }, 201)
  const sealed = async (id: string) =>
    (await sql<{ secrets: StoredSecret[] }>('select secrets from webhook_endpoints where id = $1', [id]))[0]!.secrets
  // The secrets as stored, opened: every one must be sealed, never kept in plain.
  const stored = async (id: string) =>
    (await sealed(id)).map((s) => {
      if (!isSealed(s.secret)) throw new Error(`a secret is stored in plain: ${s.secret}`)
      return { ...s, secret: openSecret(s.secret) }
    })

  t.test('create answers the secret once, with defaults and de-duplicated event types', async (t) => {
    const now = baton.clock.now().toISOString()
    const ep = await create({ eventTypes: ['lead.assigned', 'lead.*', 'lead.assigned'], description: 'CRM' })
    t.match(ep.secret, SECRET, 'whsec_ + base64 of 32 bytes')
    t.match(ep, {
      kind: 'standard',
      eventTypes: ['lead.assigned', 'lead.*'],
      description: 'CRM',
      enabled: true,
      disabledReason: null,
      secretsActive: 1,
      createdAt: now,
      updatedAt: now,
    })
    t.match(ep.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/)
    t.same(
      (await stored(ep.id)).map((s) => s.secret),
      [ep.secret],
      'the secret is stored',
    )
    const [atRest] = await sealed(ep.id)
    t.match(atRest!.secret, /^enc:v1:[A-Za-z0-9._-]+:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/, 'sealed: enc:v1:<kid>:<iv>:<ciphertext>')
    t.notOk(JSON.stringify(await sealed(ep.id)).includes(ep.secret.slice(6, 30)), 'the database never holds the secret itself')

    const minimal = await create()
    t.same(minimal.eventTypes, [], 'no filter: every event')
    t.equal(minimal.description, null)
    t.equal((await create({ kind: 'slack', enabled: false })).enabled, false)
  })

  t.test('get and list never show the secret', async (t) => {
    const ep = await create()
    const one = await call('GET', `${BASE}/${ep.id}`)
    t.equal(one.statusCode, 200)
    t.notOk('secret' in one.json(), 'no secret key')
    t.notOk(one.body.includes(ep.secret.slice(6)), 'the secret appears nowhere')
    const { secret: _secret, ...withoutSecret } = ep
    t.same(one.json(), withoutSecret, 'otherwise the endpoint as created')

    const list = await call('GET', `${BASE}?limit=500`)
    t.equal(list.statusCode, 200)
    t.ok(list.json().data.some((e: { id: string }) => e.id === ep.id))
    t.ok(
      list.json().data.every((e: object) => !('secret' in e)),
      'no secret key in the list',
    )
    t.notOk(list.body.includes(ep.secret.slice(6)), 'the secret appears nowhere in the list')
  })

  t.test('includeAcceptLinks: off unless an admin sets it, on create or PATCH, and read back', async (t) => {
    const plain = await create()
    t.equal(plain.includeAcceptLinks, false, 'off by default')
    const optedIn = await create({ includeAcceptLinks: true })
    t.equal(optedIn.includeAcceptLinks, true, 'set on create')
    t.equal((await ok('GET', `${BASE}/${optedIn.id}`, undefined, 200)).includeAcceptLinks, true, 'read back')
    const listed = (await ok('GET', `${BASE}?limit=500`, undefined, 200)).data
    t.same(
      listed
        .filter((e: { id: string }) => [plain.id, optedIn.id].includes(e.id))
        .map((e: { includeAcceptLinks: boolean }) => e.includeAcceptLinks),
      [false, true],
      'in the list too',
    )

    t.equal((await ok('PATCH', `${BASE}/${plain.id}`, { includeAcceptLinks: true }, 200)).includeAcceptLinks, true, 'PATCH turns it on')
    t.equal(
      (await ok('PATCH', `${BASE}/${plain.id}`, { description: 'unrelated' }, 200)).includeAcceptLinks,
      true,
      'a PATCH without it keeps it',
    )
    t.equal((await ok('PATCH', `${BASE}/${plain.id}`, { includeAcceptLinks: false }, 200)).includeAcceptLinks, false, 'PATCH turns it off')
    const rows = await sql<{ include_accept_links: boolean }>('select include_accept_links from webhook_endpoints where id = $1', [
      optedIn.id,
    ])
    t.same(rows, [{ include_accept_links: true }], 'stored in its column')

    const bad = await call('PATCH', `${BASE}/${plain.id}`, { includeAcceptLinks: 'yes' })
    t.equal(bad.statusCode, 422, 'a boolean only')
    t.equal(
      (await call('POST', BASE, { url: 'https://x.example.test/', includeAcceptLinks: true }, 'integration')).statusCode,
      403,
      'admin-set only',
    )
  })

  t.test('list pages by cursor', async (t) => {
    await create()
    await create()
    const all = (await ok('GET', `${BASE}?limit=500`, undefined, 200)).data.map((e: { id: string }) => e.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { data: Array<{ id: string }>; nextCursor: string | null } = await ok(
        'GET',
        `${BASE}?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        undefined,
        200,
      )
      t.ok(page.data.length <= 1)
      seen.push(...page.data.map((e) => e.id))
      cursor = page.nextCursor
    } while (cursor && seen.length <= all.length)
    t.same(seen, all, 'one by one, every endpoint once, in order')
    t.equal((await call('GET', `${BASE}?cursor=garbage!`)).statusCode, 400, 'a bad cursor is a 400')
  })

  t.test('PATCH changes url, event types, description and enabled', async (t) => {
    const ep = await create({ description: 'old' })
    baton.clock.advance(1000)
    const changed = await ok(
      'PATCH',
      `${BASE}/${ep.id}`,
      { url: 'https://other.example.test/h', eventTypes: ['handoff.*', 'handoff.*'], description: 'new' },
      200,
    )
    t.match(changed, {
      url: 'https://other.example.test/h',
      eventTypes: ['handoff.*'],
      description: 'new',
      enabled: true,
      createdAt: ep.createdAt,
      updatedAt: baton.clock.now().toISOString(),
    })
    t.equal((await ok('PATCH', `${BASE}/${ep.id}`, { description: null }, 200)).description, null, 'null clears the description')
    t.equal((await ok('PATCH', `${BASE}/${ep.id}`, { enabled: false }, 200)).enabled, false)

    await sql(`update webhook_endpoints set disabled_reason = 'too many failures' where id = $1`, [ep.id])
    const again = await ok('PATCH', `${BASE}/${ep.id}`, { enabled: true }, 200)
    t.match(again, { enabled: true, disabledReason: null }, 're-enabling clears why it was disabled')
    t.same(await ok('GET', `${BASE}/${ep.id}`, undefined, 200), again)
    t.equal((await stored(ep.id))[0]!.secret, ep.secret, 'PATCH keeps the secret')
  })

  t.test('DELETE answers 204, then the endpoint is gone', async (t) => {
    const ep = await create()
    const res = await call('DELETE', `${BASE}/${ep.id}`)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await call('GET', `${BASE}/${ep.id}`)).statusCode, 404)
    t.equal((await call('DELETE', `${BASE}/${ep.id}`)).statusCode, 404)
  })

  t.test('an unknown id is a 404 everywhere', async (t) => {
    for (const [method, url, body] of [
      ['GET', `${BASE}/${GHOST}`],
      ['PATCH', `${BASE}/${GHOST}`, { enabled: false }],
      ['DELETE', `${BASE}/${GHOST}`],
      ['POST', `${BASE}/${GHOST}/rotate-secret`, {}],
    ] as const) {
      const res = await call(method, url, body)
      t.equal(res.statusCode, 404, `${method} ${url}`)
    }
    t.equal((await call('GET', `${BASE}/not-a-uuid`)).statusCode, 400)
  })

  t.test('event types must be known types or prefixes', async (t) => {
    const res = await call('POST', BASE, {
      url: 'https://x.example.test/',
      eventTypes: ['lead.assigned', 'lead.nope', 'nope.*', 'lead.*', '*'],
    })
    t.equal(res.statusCode, 422)
    t.same(pointers(res), ['/eventTypes/1', '/eventTypes/2', '/eventTypes/4'])
    t.match(res.json().errors[0].detail, /"lead\.nope" is not an event type/)
    const ep = await create({ eventTypes: ['lead.won'] })
    const patch = await call('PATCH', `${BASE}/${ep.id}`, { eventTypes: ['webhook_endpoint.disabled', 'bogus'] })
    t.equal(patch.statusCode, 422)
    t.same(pointers(patch), ['/eventTypes/1'])
    t.same((await ok('GET', `${BASE}/${ep.id}`, undefined, 200)).eventTypes, ['lead.won'], 'unchanged')
  })

  t.test('private URLs are accepted when WEBHOOK_ALLOW_PRIVATE=true (the test default)', async (t) => {
    t.equal((await create({ url: 'http://127.0.0.1:9/hook' })).url, 'http://127.0.0.1:9/hook')
    const ftp = await call('POST', BASE, { url: 'ftp://127.0.0.1/hook' })
    t.equal(ftp.statusCode, 422, 'the scheme is checked all the same')
    t.same(pointers(ftp), ['/url'])
  })

  t.test('admin only: integration and rep tokens get 403 on every route', async (t) => {
    const ep = await create()
    const routes = [
      ['POST', BASE, { url: 'https://x.example.test/' }],
      ['GET', BASE],
      ['GET', `${BASE}/${ep.id}`],
      ['PATCH', `${BASE}/${ep.id}`, { enabled: false }],
      ['DELETE', `${BASE}/${ep.id}`],
      ['POST', `${BASE}/${ep.id}/rotate-secret`, {}],
    ] as const
    for (const [role, sub] of [
      ['integration', undefined],
      ['rep', GHOST],
    ] as const) {
      for (const [method, url, body] of routes)
        t.equal((await call(method, url, body, role, sub)).statusCode, 403, `${role}: ${method} ${url}`)
    }
    t.same(await ok('GET', `${BASE}/${ep.id}`, undefined, 200), (({ secret: _s, ...rest }) => rest)(ep), 'nothing changed')
    t.equal((await stored(ep.id)).length, 1, 'not rotated')
  })

  t.test('rotate-secret', async (t) => {
    t.test('a new secret; the old one signs for 24 h by default', async (t) => {
      const ep = await create()
      const rotated = await ok('POST', `${BASE}/${ep.id}/rotate-secret`, {}, 200)
      t.match(rotated.secret, SECRET)
      t.not(rotated.secret, ep.secret)
      t.equal(rotated.secretsActive, 2)
      const graceEnds = new Date(baton.clock.now().getTime() + 24 * HOUR).toISOString()
      t.match(await stored(ep.id), [
        { secret: rotated.secret, expiresAt: null },
        { secret: ep.secret, expiresAt: graceEnds },
      ])
      baton.clock.advance(24 * HOUR - 1)
      t.equal((await ok('GET', `${BASE}/${ep.id}`, undefined, 200)).secretsActive, 2, 'still two just before the grace ends')
      baton.clock.advance(2)
      t.equal((await ok('GET', `${BASE}/${ep.id}`, undefined, 200)).secretsActive, 1, 'one once it has ended')
    })

    t.test('no body at all means the default grace', async (t) => {
      const ep = await create()
      const res = await baton.app.inject({ method: 'POST', url: `${BASE}/${ep.id}/rotate-secret`, headers: await baton.auth('admin') })
      t.equal(res.statusCode, 200, res.body)
      t.equal(res.json().secretsActive, 2)
      t.equal((await stored(ep.id))[1]!.expiresAt, new Date(baton.clock.now().getTime() + 24 * HOUR).toISOString())
    })

    t.test('graceSeconds 0 retires the old secret at once', async (t) => {
      const ep = await create()
      const rotated = await ok('POST', `${BASE}/${ep.id}/rotate-secret`, { graceSeconds: 0 }, 200)
      t.equal(rotated.secretsActive, 1)
      t.same(
        (await stored(ep.id)).map((s) => s.secret),
        [rotated.secret],
        'the old secret is gone',
      )
    })

    t.test('graceSeconds 3600 ends after an hour', async (t) => {
      const ep = await create()
      t.equal((await ok('POST', `${BASE}/${ep.id}/rotate-secret`, { graceSeconds: 3600 }, 200)).secretsActive, 2)
      baton.clock.advance(HOUR + 1)
      t.equal((await ok('GET', `${BASE}/${ep.id}`, undefined, 200)).secretsActive, 1)
    })

    t.test('rotating twice within the grace keeps the still-valid older secrets, and no more', async (t) => {
      const ep = await create()
      const start = baton.clock.now().getTime()
      const second = await ok('POST', `${BASE}/${ep.id}/rotate-secret`, {}, 200)
      baton.clock.advance(HOUR)
      const third = await ok('POST', `${BASE}/${ep.id}/rotate-secret`, { graceSeconds: 7200 }, 200)
      t.equal(third.secretsActive, 3, 'current + both older ones, still in their grace')
      t.same(
        (await stored(ep.id)).map((s) => [s.secret, s.expiresAt]),
        [
          [third.secret, null],
          [second.secret, new Date(start + 3 * HOUR).toISOString()],
          [ep.secret, new Date(start + 3 * HOUR).toISOString()],
        ],
        'a shorter new grace shortens the older ones too',
      )

      baton.clock.advance(2 * HOUR + 1)
      t.equal((await ok('GET', `${BASE}/${ep.id}`, undefined, 200)).secretsActive, 1)
      const fourth = await ok('POST', `${BASE}/${ep.id}/rotate-secret`, {}, 200)
      t.equal(fourth.secretsActive, 2)
      t.same(
        (await stored(ep.id)).map((s) => s.secret),
        [fourth.secret, third.secret],
        'expired secrets are dropped on the next rotation',
      )
    })

    t.test('a later rotation never extends an older secret past its own end', async (t) => {
      const ep = await create()
      const start = baton.clock.now().getTime()
      await ok('POST', `${BASE}/${ep.id}/rotate-secret`, { graceSeconds: 3600 }, 200)
      await ok('POST', `${BASE}/${ep.id}/rotate-secret`, {}, 200)
      t.equal((await stored(ep.id))[2]!.expiresAt, new Date(start + HOUR).toISOString())
    })

    t.test('graceSeconds out of range is a 422', async (t) => {
      const ep = await create()
      for (const graceSeconds of [-1, 7 * 24 * 3600 + 1, 1.5]) {
        const res = await call('POST', `${BASE}/${ep.id}/rotate-secret`, { graceSeconds })
        t.equal(res.statusCode, 422, `graceSeconds ${graceSeconds}`)
      }
      t.equal((await stored(ep.id)).length, 1, 'not rotated')
    })
  })
})

t.test('with WEBHOOK_ALLOW_PRIVATE=false, non-public URLs are refused', async (t) => {
  const baton = await buildTestApp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'false' } })
  const { call, ok, sql } = apiClient(baton)
  const count = async () => (await sql<{ n: number }>('select count(*)::int as n from webhook_endpoints'))[0]!.n

  const cases: Array<[string, RegExp]> = [
    ['http://127.0.0.1:9/hook', /127\.0\.0\.1 is loopback/],
    ['http://localhost/', /resolves to a non-public address \((127\.0\.0\.1|::1) is loopback\)/],
    ['http://[::1]/', /::1 is loopback/],
    ['http://10.0.0.1/', /10\.0\.0\.1 is private/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is link local/],
    ['ftp://8.8.8.8/hook', /must be an http or https URL/],
  ]
  for (const [url, detail] of cases) {
    const res = await call('POST', '/v1/webhook-endpoints', { url })
    t.equal(res.statusCode, 422, url)
    t.same(pointers(res), ['/url'], `${url}: pointer`)
    t.match(res.json().errors[0].detail, detail, `${url}: the detail names the reason`)
  }
  t.equal(await count(), 0, 'nothing stored')

  const ep = await ok('POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/hook' }, 201)
  const patch = await call('PATCH', `/v1/webhook-endpoints/${ep.id}`, { url: 'http://192.168.0.10/hook', description: 'moved' })
  t.equal(patch.statusCode, 422)
  t.same(pointers(patch), ['/url'])
  t.match(
    await ok('GET', `/v1/webhook-endpoints/${ep.id}`, undefined, 200),
    { url: 'https://8.8.8.8/hook', description: null },
    'nothing changed',
  )
  t.equal(await count(), 1)
})
