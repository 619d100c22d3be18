// Rotating Baton's signing key: instances started with a newer key list, on the same database,
// as a rolling deploy starts them, go on accepting what the older instances signed.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { decodeProtectedHeader, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.ts'
import { resolveSigningSecret, signToken, type Role } from '../../src/lib/auth-keys.ts'
import { startServices } from '../../src/runtime.ts'
import { TEST_SECRET } from '../helpers/app.ts'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'

const PUBLIC_URL = 'https://baton.example'
const KEY_1 = 'rotation-key-one-long-enough-for-hs256'
const KEY_2 = 'rotation-key-two-long-enough-for-hs256'
const JSON_ACCEPT = { accept: 'application/json' }

/** Another Baton on the harness's database and clock, with its own key settings (AUTH_SECRET unset unless given). */
async function instance(t: Test, h: HandoffHarness, env: Record<string, string>) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-rotation-')) // never the checkout's own .data
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ROLE: 'api',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    PUBLIC_URL,
    DATABASE_URL: h.baton.url,
    DATA_DIR: dataDir,
    ...env,
  })
  const services = await startServices(config, h.baton.url, { clock: h.baton.clock })
  t.teardown(() => services.close()) // before the harness drops the database: teardowns run last-in first-out
  const keys = (await resolveSigningSecret(config))!
  return {
    app: services.app,
    token: (role: Role) => signToken(keys, { role, now: h.baton.clock.now() }),
    get: (url: string, token: string) => services.app.inject({ url, headers: { authorization: `Bearer ${token}` } }),
    accept: (link: string) =>
      services.app.inject({ method: 'POST', url: `${new URL(link).pathname}${new URL(link).search}`, headers: JSON_ACCEPT }),
    postLead: async (email: string) => {
      const res = await services.app.inject({
        method: 'POST',
        url: '/v1/leads',
        headers: { authorization: `Bearer ${await signToken(keys, { role: 'integration', now: h.baton.clock.now() })}` },
        payload: { email, signals: { demoRequested: true } },
      })
      if (res.statusCode !== 201) throw new Error(`POST /v1/leads: ${res.statusCode} ${res.body}`)
      return res.json()
    },
  }
}

/** The accept link the lead's lead.assigned event carries. */
async function linkOf(h: HandoffHarness, leadId: string): Promise<string> {
  const assigned = (await h.events(leadId)).filter((event) => event.type === 'lead.assigned').at(-1)
  return assigned?.data.acceptUrl as string
}
const kidOf = (tokenOrLink: string) =>
  decodeProtectedHeader(tokenOrLink.includes('token=') ? new URL(tokenOrLink).searchParams.get('token')! : tokenOrLink).kid

t.test('AUTH_SECRET → AUTH_SECRETS → a newer key: tokens and links of every step stay valid while their key is listed', async (t) => {
  // Step 0: AUTH_SECRET alone, as every Baton before key rotation; its tokens and links carry no kid.
  const h = await handoffHarness(t, { env: { PUBLIC_URL } })
  await h.setup(2)
  const tokenA = await h.baton.token('admin')
  const leadA = await h.postLead()
  const linkA = await linkOf(h, leadA.lead.id)
  t.equal(kidOf(tokenA), undefined, 'step 0: a token without kid')
  t.equal(kidOf(linkA), undefined, 'step 0: a link without kid')

  // Step 1: a key list; the old AUTH_SECRET becomes its second entry.
  const b = await instance(t, h, { AUTH_SECRETS: `k1:${KEY_1},legacy:${TEST_SECRET}` })
  t.equal((await b.get('/v1/reps', tokenA)).statusCode, 200, 'step 1 accepts the step-0 token')
  const acceptedA = await b.accept(linkA)
  t.equal(acceptedA.statusCode, 200, 'step 1 accepts the step-0 link', { body: acceptedA.body })
  t.match(acceptedA.json(), { id: leadA.handoff.id, status: 'accepted', repId: leadA.handoff.repId })
  const tokenB = await b.token('admin')
  t.equal(kidOf(tokenB), 'k1', 'step 1 signs tokens with its newest key, named')
  t.equal((await b.get('/v1/reps', tokenB)).statusCode, 200)
  const leadB = await b.postLead('rotation-b@acme.example')
  const linkB = await linkOf(h, leadB.lead.id)
  t.equal(kidOf(linkB), 'k1', 'step 1 signs links with its newest key, named')
  t.equal(
    (await h.baton.app.inject({ url: '/v1/reps', headers: { authorization: `Bearer ${tokenB}` } })).statusCode,
    401,
    'a step-0 instance does not know k1',
  )

  // Step 2: a newer key first, k1 kept second, the legacy key retired.
  const c = await instance(t, h, { AUTH_SECRETS: `k2:${KEY_2},k1:${KEY_1}` })
  t.equal((await c.get('/v1/reps', tokenB)).statusCode, 200, 'step 2 accepts the step-1 token')
  const acceptedB = await c.accept(linkB)
  t.equal(acceptedB.statusCode, 200, 'step 2 accepts the step-1 link', { body: acceptedB.body })
  t.match(acceptedB.json(), { id: leadB.handoff.id, status: 'accepted' })
  const tokenC = await c.token('admin')
  t.equal(kidOf(tokenC), 'k2')
  t.equal((await c.get('/v1/reps', tokenC)).statusCode, 200)

  const retired = await c.get('/v1/reps', tokenA)
  t.equal(retired.statusCode, 401, 'a token signed with a retired key is refused')
  const unknownAtB = await b.get('/v1/reps', tokenC)
  t.equal(unknownAtB.statusCode, 401, 'an unknown kid is 401')
  t.match(unknownAtB.json(), { code: 'unauthorized', detail: /"k2"/ }, 'naming the kid')
  const forged = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'k1' })
    .setIssuer('baton')
    .setAudience('baton-api')
    .setIssuedAt(h.baton.clock.now())
    .setExpirationTime(Math.floor(h.baton.clock.now().getTime() / 1000) + 3600)
    .sign(new TextEncoder().encode(KEY_2))
  t.equal((await c.get('/v1/reps', forged)).statusCode, 401, 'a kid is checked against its own key only')
  const retiredLink = await c.accept(linkA)
  t.equal(retiredLink.statusCode, 400, 'a link signed with a retired key is not valid')
})
