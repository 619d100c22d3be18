import { createHash, createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

/** Standard Webhooks headers, computed here independently of the server's code. */
function standardWebhooks(secret: string, id: string, body: string, at: Date) {
  const timestamp = String(Math.floor(at.getTime() / 1000))
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` }
}

async function count(baton: TestApp, table: string): Promise<number> {
  const { rows } = await baton.deps.pool.query(`select count(*)::int as n from ${table}`)
  return rows[0].n
}

t.test('form sources and the generic inbound endpoint', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')
  const createSource = (payload: object) => baton.app.inject({ method: 'POST', url: '/v1/sources', headers: admin, payload })
  const deliver = (sourceId: string, body: string, headers: Record<string, string>, query = '') =>
    baton.app.inject({
      method: 'POST',
      url: `/v1/inbound/${sourceId}${query}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: body,
    })

  const created = await createSource({
    name: 'Website form',
    kind: 'generic',
    fieldMap: { email: 'contact.email', firstName: 'contact.first', employees: 'size', 'signals.demoRequested': 'wantsDemo' },
  })
  t.equal(created.statusCode, 201)
  const source = created.json()
  t.match(source, {
    kind: 'generic',
    auth: 'signature',
    leadSource: 'generic',
    inboundUrl: `http://localhost:3000/v1/inbound/${source.id}`,
  })
  t.match(source.secret, /^whsec_[A-Za-z0-9+/]{32}$/, 'a Standard Webhooks secret, shown once')
  const fetched = (await baton.app.inject({ url: `/v1/sources/${source.id}`, headers: admin })).json()
  t.notOk('secret' in fetched, 'never shown again')

  const body = JSON.stringify({ contact: { email: 'Form@Acme.example', first: 'Fay' }, size: '250', wantsDemo: true })

  t.test('a signed submission becomes a mapped lead; a redelivery does not', async (t) => {
    const headers = standardWebhooks(source.secret, 'msg_1', body, baton.clock.now())
    const first = await deliver(source.id, body, headers)
    t.equal(first.statusCode, 201)
    const { leadId, duplicate } = first.json()
    t.equal(duplicate, false)
    const lead = (await baton.app.inject({ url: `/v1/leads/${leadId}`, headers: admin })).json()
    t.match(lead, {
      email: 'form@acme.example',
      firstName: 'Fay',
      employees: 250,
      source: 'generic',
      signals: { demoRequested: true },
      status: 'unrouted',
      tier: 'demo',
    })

    const again = await deliver(source.id, body, headers)
    t.equal(again.statusCode, 200)
    t.same(again.json(), { leadId, status: 'unrouted', duplicate: true })
    t.equal(
      (await baton.app.inject({ url: `/v1/leads/${leadId}`, headers: admin })).json().submissions,
      1,
      'the redelivery changed nothing',
    )

    const other = await deliver(source.id, body, standardWebhooks(source.secret, 'msg_2', body, baton.clock.now()))
    t.equal(other.statusCode, 200, 'a new submission of the same email is the same lead')
    t.equal((await baton.app.inject({ url: `/v1/leads/${leadId}`, headers: admin })).json().submissions, 2)
  })

  t.test('unsigned, mis-signed or stale: 401 and nothing stored', async (t) => {
    const leadsBefore = await count(baton, 'leads')
    const good = standardWebhooks(source.secret, 'msg_x', body, baton.clock.now())
    const cases: Array<[string, Record<string, string>, string, string]> = [
      ['no signature', {}, body, 'missing_signature'],
      ['tampered body', good, body.replace('Fay', 'Eve'), 'bad_signature'],
      [
        'another secret',
        standardWebhooks(`whsec_${Buffer.from('another-secret-of-24-bytes!').toString('base64')}`, 'msg_x', body, baton.clock.now()),
        body,
        'bad_signature',
      ],
      ['not a v1 signature', { ...good, 'webhook-signature': 'v2,abc' }, body, 'bad_signature'],
      [
        'six minutes old',
        standardWebhooks(source.secret, 'msg_x', body, new Date(baton.clock.now().getTime() - 6 * 60_000)),
        body,
        'stale_timestamp',
      ],
    ]
    for (const [name, headers, payload, reason] of cases) {
      const res = await deliver(source.id, payload, headers)
      t.equal(res.statusCode, 401, name)
      t.match(res.json(), { code: 'unauthorized', reason }, `${name}: ${reason}`)
    }
    t.equal(await count(baton, 'leads'), leadsBefore)
    const jwtInstead = await deliver(source.id, body, admin)
    t.equal(jwtInstead.statusCode, 401, 'a Baton token is no substitute for the source signature')
  })

  t.test('bad submissions: 4xx naming the problem, nothing stored', async (t) => {
    const leadsBefore = await count(baton, 'leads')
    const signedAs = (payload: string, id: string) => standardWebhooks(source.secret, id, payload, baton.clock.now())
    const noEmail = JSON.stringify({ contact: { first: 'Nobody' } })
    const unmapped = await deliver(source.id, noEmail, signedAs(noEmail, 'm1'))
    t.equal(unmapped.statusCode, 422)
    t.match(unmapped.json().errors, [{ pointer: '/email' }])
    const notJson = '{"contact":'
    t.equal((await deliver(source.id, notJson, signedAs(notJson, 'm2'))).statusCode, 400)
    const array = '[1,2]'
    t.equal((await deliver(source.id, array, signedAs(array, 'm3'))).statusCode, 422)
    const huge = JSON.stringify({ contact: { email: 'big@acme.example' }, pad: 'x'.repeat(300 * 1024) })
    t.equal((await deliver(source.id, huge, signedAs(huge, 'm4'))).statusCode, 413)
    t.equal((await deliver('01900000-0000-7000-8000-000000000000', body, signedAs(body, 'm5'))).statusCode, 404)
    t.equal(await count(baton, 'leads'), leadsBefore)
  })

  t.test('20 concurrent deliveries of one submission make one lead', async (t) => {
    const payload = JSON.stringify({ contact: { email: 'burst@form.example' } })
    const headers = standardWebhooks(source.secret, 'msg_burst', payload, baton.clock.now())
    const results = await Promise.all(Array.from({ length: 20 }, () => deliver(source.id, payload, headers)))
    t.same(results.map((r) => r.statusCode).sort(), [...Array(19).fill(200), 201].sort())
    t.equal(new Set(results.map((r) => r.json().leadId)).size, 1)
    const { rows } = await baton.deps.pool.query("select submissions from leads where email = 'burst@form.example'")
    t.same(rows, [{ submissions: 1 }], 'the lead saw one submission, not twenty')
  })

  t.test('a token source, for tools that cannot sign', async (t) => {
    const tokenSource = (await createSource({ name: 'Zap', kind: 'generic', auth: 'token', leadSource: 'zapier' })).json()
    t.match(tokenSource.secret, /^[A-Za-z0-9_-]{43}$/)
    const payload = JSON.stringify({ email: 'zap@acme.example', company: 'Zap Co' })
    const viaHeader = await deliver(tokenSource.id, payload, { authorization: `Bearer ${tokenSource.secret}` })
    t.equal(viaHeader.statusCode, 201)
    const lead = (await baton.app.inject({ url: `/v1/leads/${viaHeader.json().leadId}`, headers: admin })).json()
    t.match(lead, { source: 'zapier', company: 'Zap Co' }, 'the default field map takes lead fields by name')
    t.equal((await deliver(tokenSource.id, payload, {}, `?token=${tokenSource.secret}`)).statusCode, 200)
    t.equal((await deliver(tokenSource.id, payload, { authorization: 'Bearer wrong' })).statusCode, 401)
  })

  t.test('sources are validated, listed, updated and deleted', async (t) => {
    const cases: Array<[string, object, string]> = [
      ['a provider without its secret', { name: 'TF', kind: 'typeform' }, '/secret'],
      ['auth on a provider', { name: 'TF', kind: 'typeform', secret: 'abcdefgh', auth: 'token' }, '/auth'],
      ['an unknown target field', { name: 'G', kind: 'generic', fieldMap: { email: 'e', shoeSize: 's' } }, '/fieldMap/shoeSize'],
      ['no email in the map', { name: 'G', kind: 'generic', fieldMap: { company: 'c' } }, '/fieldMap'],
      ['an unknown kind', { name: 'G', kind: 'jotform' }, '/kind'],
    ]
    for (const [name, payload, pointer] of cases) {
      const res = await createSource(payload)
      t.equal(res.statusCode, 422, name)
      t.ok(
        res.json().errors.some((e: { pointer: string }) => e.pointer === pointer),
        `${name}: ${pointer}`,
      )
    }
    const list = (await baton.app.inject({ url: '/v1/sources', headers: admin })).json()
    t.equal(list.data.length, 2)
    t.ok(list.data.every((s: object) => !('secret' in s)))
    const renamed = await baton.app.inject({
      method: 'PATCH',
      url: `/v1/sources/${source.id}`,
      headers: admin,
      payload: { name: 'Main form' },
    })
    t.equal(renamed.json().name, 'Main form')
    t.equal(
      (
        await baton.app.inject({
          method: 'POST',
          url: '/v1/sources',
          headers: await baton.auth('integration'),
          payload: { name: 'x', kind: 'generic' },
        })
      ).statusCode,
      403,
    )
    t.equal((await baton.app.inject({ method: 'DELETE', url: `/v1/sources/${source.id}`, headers: admin })).statusCode, 204)
    t.equal(
      (await deliver(source.id, body, standardWebhooks(source.secret, 'late', body, baton.clock.now()))).statusCode,
      404,
      'a deleted source takes nothing',
    )
  })
})

// Secrets at rest: a signing secret is stored sealed (and still verifies), a token only as its SHA-256.
t.test('source secrets are never stored as given', async (t) => {
  const baton = await buildTestApp(t)
  const admin = await baton.auth('admin')
  const createSource = async (payload: object) =>
    (await baton.app.inject({ method: 'POST', url: '/v1/sources', headers: admin, payload })).json()
  const patch = (id: string, payload: object) => baton.app.inject({ method: 'PATCH', url: `/v1/sources/${id}`, headers: admin, payload })
  const deliver = (sourceId: string, body: string, headers: Record<string, string>, query = '') =>
    baton.app.inject({
      method: 'POST',
      url: `/v1/inbound/${sourceId}${query}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: body,
    })
  const storedSecret = async (id: string): Promise<string> =>
    (await baton.deps.pool.query('select secret from sources where id = $1', [id])).rows[0].secret
  const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('base64url')}`

  t.test('a token source keeps only the SHA-256 of its token; the token is shown once and still works', async (t) => {
    const source = await createSource({ name: 'Zap', kind: 'generic', auth: 'token' })
    const atRest = await storedSecret(source.id)
    t.equal(atRest, sha256(source.secret), 'stored as sha256:<base64url digest>')
    t.notOk(atRest.includes(source.secret), 'the token is not in the database')
    const body = JSON.stringify({ email: 'hashed@acme.example' })
    t.equal(
      (await deliver(source.id, body, { authorization: `Bearer ${source.secret}` })).statusCode,
      201,
      'the token shown at create works',
    )
    t.equal((await deliver(source.id, body, { authorization: `Bearer ${atRest}` })).statusCode, 401, 'the stored hash is no token')
    t.equal((await deliver(source.id, body, {}, `?token=${source.secret.slice(0, -1)}`)).statusCode, 401, 'nor is a near miss')

    const chosen = 'a-token-the-admin-picked'
    t.equal((await patch(source.id, { secret: chosen })).statusCode, 200)
    t.equal(await storedSecret(source.id), sha256(chosen), 'a new token set by PATCH is hashed too')
    t.equal((await deliver(source.id, body, { authorization: `Bearer ${chosen}` })).statusCode, 200, 'and works at once')
    t.equal((await deliver(source.id, body, { authorization: `Bearer ${source.secret}` })).statusCode, 401, 'the old one no longer does')
  })

  t.test('a signing secret is stored sealed, and verifies', async (t) => {
    const source = await createSource({ name: 'Form', kind: 'generic' })
    const atRest = await storedSecret(source.id)
    t.match(atRest, /^enc:v1:[A-Za-z0-9._-]+:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/, 'sealed: enc:v1:<kid>:<iv>:<ciphertext>')
    t.notOk(atRest.includes(source.secret.slice(6)), 'the secret is not in the database')
    const body = JSON.stringify({ email: 'sealed@acme.example' })
    t.equal((await deliver(source.id, body, standardWebhooks(source.secret, 'sealed-1', body, baton.clock.now()))).statusCode, 201)

    const rotated = `whsec_${randomBytes(24).toString('base64')}`
    t.equal((await patch(source.id, { secret: rotated })).statusCode, 200)
    t.match(await storedSecret(source.id), /^enc:v1:/, 'a new secret set by PATCH is sealed too')
    t.notOk((await storedSecret(source.id)).includes(rotated.slice(6)))
    t.equal(
      (await deliver(source.id, body, standardWebhooks(rotated, 'sealed-2', body, baton.clock.now()))).statusCode,
      200,
      'the new secret verifies',
    )
    t.equal(
      (await deliver(source.id, body, standardWebhooks(source.secret, 'sealed-3', body, baton.clock.now()))).statusCode,
      401,
      'the old one no longer does',
    )
  })

  t.test('a provider secret pasted by the admin is sealed the same way', async (t) => {
    const secret = 'tally-signing-secret-123'
    const source = await createSource({ name: 'Tally', kind: 'tally', secret })
    t.equal(source.secret, secret, 'answered once, as given')
    t.match(await storedSecret(source.id), /^enc:v1:/)
    t.notOk((await storedSecret(source.id)).includes(secret))
    const fetched = await baton.app.inject({ url: `/v1/sources/${source.id}`, headers: admin })
    t.notOk(fetched.body.includes(secret), 'never shown again')
  })
})
