// An Idempotency-Key belongs to the credential that sent it (issue 17, finding 7): integration
// tokens without a `sub` shared one namespace, so one token's key replayed another token's answer.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { signToken, type Role } from '../../src/lib/auth-keys.ts'
import { buildTestApp, TEST_SECRET } from '../helpers/app.ts'

const SECRET = new TextEncoder().encode(TEST_SECRET)

t.test('Idempotency-Key is scoped by the credential: sub, else jti, else the token itself', async (t) => {
  const baton = await buildTestApp(t)
  const mint = (role: Role, claims: { sub?: string; jti?: string } = {}) => signToken(SECRET, { role, now: baton.clock.now(), ...claims })
  let emails = 0
  const post = (token: string, key: string, email = `scope${++emails}@acme.example`) =>
    baton.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
      payload: { email, company: 'Acme' },
    })

  t.test('two integration tokens without sub or jti: the same key is two requests', async (t) => {
    const first = await mint('integration')
    baton.clock.advance(1000) // another iat: another token, as a second integration's would be
    const second = await mint('integration')
    t.not(first, second)

    const a = await post(first, 'order-1')
    t.equal(a.statusCode, 201)
    const b = await post(second, 'order-1')
    t.equal(b.statusCode, 201, 'the second token\'s own request runs (not a 422 for "another body")', { body: b.body })
    t.notOk(b.headers['idempotent-replayed'], 'nothing replayed')
    t.not(b.json().lead.id, a.json().lead.id, 'two different leads')

    const same = await post(second, 'order-2', a.json().lead.email)
    t.notOk(same.headers['idempotent-replayed'], "the same body under the other token is not the first token's answer")
    t.equal(same.statusCode, 200, 'it ran: a duplicate of the first lead')

    const retry = await post(first, 'order-1', a.json().lead.email)
    t.equal(retry.statusCode, 201)
    t.equal(retry.headers['idempotent-replayed'], 'true', 'the first token again gets its own answer')
    t.equal(retry.body, a.body, 'byte for byte')
  })

  t.test('tokens with their own jti are their own namespace', async (t) => {
    const [one, two] = await Promise.all([mint('integration', { jti: randomUUID() }), mint('integration', { jti: randomUUID() })])
    const a = await post(one, 'jti-key')
    const b = await post(two, 'jti-key')
    t.equal(a.statusCode, 201)
    t.equal(b.statusCode, 201)
    t.not(b.json().lead.id, a.json().lead.id, 'two different leads')
    const again = await post(one, 'jti-key', a.json().lead.email)
    t.equal(again.body, a.body, 'the same token replays its answer byte for byte')
  })

  t.test('one sub keeps its keys across a fresh token, and never shares them with another sub or role', async (t) => {
    const first = await mint('integration', { sub: 'crm-sync' })
    const a = await post(first, 'sub-key')
    t.equal(a.statusCode, 201)
    baton.clock.advance(60_000)
    const refreshed = await mint('integration', { sub: 'crm-sync', jti: randomUUID() })
    const retry = await post(refreshed, 'sub-key', a.json().lead.email)
    t.equal(retry.headers['idempotent-replayed'], 'true', 'a refreshed token of the same sub replays')
    t.equal(retry.body, a.body)
    const other = await post(await mint('integration', { sub: 'forms' }), 'sub-key')
    t.equal(other.statusCode, 201, 'another sub: its own request')
    t.not(other.json().lead.id, a.json().lead.id)
    const admin = await post(await mint('admin', { sub: 'crm-sync' }), 'sub-key')
    t.equal(admin.statusCode, 201, 'the same sub as another role: its own request')
    t.not(admin.json().lead.id, a.json().lead.id)
  })
})
