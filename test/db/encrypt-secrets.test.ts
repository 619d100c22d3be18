// The upgrade that brings secrets to rest: a database of the previous release, with plaintext
// webhook and source secrets, migrated; its secrets come out sealed (or hashed) and still work.
import { createHmac, randomBytes } from 'node:crypto'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate as applyDrizzleMigrations } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import { migrate } from '../../src/db/migrate.ts'
import { signToken } from '../../src/lib/auth-keys.ts'
import { systemClock } from '../../src/lib/clock.ts'
import { newId } from '../../src/lib/ids.ts'
import { createSecretBox, hashToken } from '../../src/lib/secret-box.ts'
import { startServices } from '../../src/runtime.ts'
import { TEST_SECRET } from '../helpers/app.ts'
import { createEmptyDatabase } from '../helpers/db.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'
import { ROOT } from '../helpers/run-script.ts'

// The last migration before secrets were sealed (and endpoints got include_accept_links).
const PREVIOUS_RELEASE_LAST = 18
const SEALED = /^enc:v1:([A-Za-z0-9._-]+):[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/

const key = (kid: string) => ({ kid, key: randomBytes(32) })
const keyList = (...keys: Array<{ kid: string; key: Buffer }>) => keys.map((k) => `${k.kid}:${k.key.toString('base64')}`).join(',')
const kidOf = (value: string) => SEALED.exec(value)?.[1]

/** The migrations folder as the previous release shipped it: 0000…0018 and their journal. */
async function previousReleaseMigrations(dir: string): Promise<string> {
  const folder = path.join(dir, 'migrations')
  await cp(path.join(ROOT, 'migrations'), folder, { recursive: true })
  const journal = JSON.parse(await readFile(path.join(folder, 'meta/_journal.json'), 'utf8')) as {
    entries: Array<{ idx: number; tag: string }>
  }
  const newer = journal.entries.filter((entry) => entry.idx > PREVIOUS_RELEASE_LAST)
  for (const entry of newer) await rm(path.join(folder, `${entry.tag}.sql`))
  journal.entries = journal.entries.filter((entry) => entry.idx <= PREVIOUS_RELEASE_LAST)
  await writeFile(path.join(folder, 'meta/_journal.json'), JSON.stringify(journal))
  t.ok(
    (await readdir(folder)).every((file) => !file.startsWith(`00${PREVIOUS_RELEASE_LAST + 1}`)),
    'the previous release stops before this one',
  )
  return folder
}

function standardWebhooks(secret: string, id: string, body: string, at: Date) {
  const timestamp = String(Math.floor(at.getTime() / 1000))
  const signature = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` }
}

t.test('upgrading a database with plaintext secrets', async (t) => {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'baton-upgrade-'))
  const { url, drop } = await createEmptyDatabase()
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  t.teardown(async () => {
    await pool.end()
    await drop()
    await rm(scratch, { recursive: true, force: true })
  })
  const query = async (text: string, params: unknown[] = []) => (await pool.query(text, params)).rows

  // The previous release's schema, and rows as it wrote them: every secret in plain.
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await applyDrizzleMigrations(drizzle(client), { migrationsFolder: await previousReleaseMigrations(scratch) })
  await client.end()
  const receiver = await startReceiver(t)
  const current = `whsec_${randomBytes(32).toString('base64')}`
  const inGrace = `whsec_${randomBytes(32).toString('base64')}`
  const endpointId = newId()
  const now = new Date()
  await query(
    `insert into webhook_endpoints (id, url, kind, event_types, enabled, secrets, created_at, updated_at) values ($1, $2, 'standard', '["lead.received"]', true, $3, now(), now())`,
    [
      endpointId,
      receiver.url(),
      JSON.stringify([
        { secret: current, createdAt: now.toISOString(), expiresAt: null },
        { secret: inGrace, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 86_400_000).toISOString() },
      ]),
    ],
  )
  const signingSecret = `whsec_${randomBytes(24).toString('base64')}`
  const token = randomBytes(32).toString('base64url')
  const tallySecret = 'tally-plain-secret'
  const sources = { signed: newId(), token: newId(), tally: newId() }
  const insertSource = (id: string, kind: string, auth: string, secret: string) =>
    query(
      `insert into sources (id, name, kind, auth, secret, field_map, lead_source, created_at, updated_at) values ($1, $2, $3, $4, $5, '{"email": "email"}', $3, now(), now())`,
      [id, `${kind} ${auth}`, kind, auth, secret],
    )
  await insertSource(sources.signed, 'generic', 'signature', signingSecret)
  await insertSource(sources.token, 'generic', 'token', token)
  await insertSource(sources.tally, 'tally', 'signature', tallySecret)
  const stored = async () => ({
    endpoint: (await query('select secrets, include_accept_links from webhook_endpoints where id = $1', [endpointId]))[0] as {
      secrets: Array<{ secret: string; expiresAt: string | null }>
      include_accept_links: boolean
    },
    sources: Object.fromEntries(
      (await query('select id, secret from sources')).map((row: { id: string; secret: string }) => [row.id, row.secret]),
    ) as Record<string, string>,
  })

  const k1 = key('upgrade-1')
  const config = loadConfig({
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    DATABASE_URL: url,
    DATA_DIR: scratch,
    SECRETS_KEY: keyList(k1),
  })
  await migrate(url, config)

  const after = await stored()
  t.equal(after.endpoint.include_accept_links, false, 'the new column, off for existing endpoints')
  t.same(
    after.endpoint.secrets.map((s) => kidOf(s.secret)),
    ['upgrade-1', 'upgrade-1'],
    'both endpoint secrets sealed under SECRETS_KEY, the grace list too',
  )
  t.same(
    after.endpoint.secrets.map((s) => s.expiresAt),
    [null, new Date(now.getTime() + 86_400_000).toISOString()],
    'their grace periods unchanged',
  )
  t.equal(kidOf(after.sources[sources.signed]!), 'upgrade-1', 'the generic signing secret sealed')
  t.equal(kidOf(after.sources[sources.tally]!), 'upgrade-1', 'the provider secret sealed')
  t.equal(after.sources[sources.token], hashToken(token), 'the token hashed')
  const everything = JSON.stringify(after)
  for (const plain of [current, inGrace, signingSecret, token, tallySecret])
    t.notOk(everything.includes(plain.replace(/^whsec_/, '')), 'no plaintext left')

  await migrate(url, config)
  t.same(await stored(), after, 'migrating again changes nothing: sealed values are left alone')

  t.test('a delivery still verifies with the old secrets, an inbound request still verifies', async (t) => {
    const baton = await startServices(config, url, { clock: systemClock })
    t.teardown(() => baton.close())
    const integration = { authorization: `Bearer ${await signToken(new TextEncoder().encode(TEST_SECRET), { role: 'integration' })}` }
    const created = await baton.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: integration,
      payload: { email: 'upgraded@acme.example' },
    })
    t.equal(created.statusCode, 201)
    await waitFor(async () => receiver.received.length >= 1, 5000)
    const [got] = receiver.received
    t.ok(got, 'delivered')
    const headers = got!.headers as Record<string, string>
    t.match(new Webhook(current).verify(got!.body, headers), { type: 'lead.received' }, 'the current secret verifies')
    t.match(new Webhook(inGrace).verify(got!.body, headers), { type: 'lead.received' }, 'so does the one in its grace period')

    const deliver = (sourceId: string, body: string, extra: Record<string, string>, search = '') =>
      baton.app.inject({
        method: 'POST',
        url: `/v1/inbound/${sourceId}${search}`,
        headers: { 'content-type': 'application/json', ...extra },
        payload: body,
      })
    const signedBody = JSON.stringify({ email: 'signed@acme.example' })
    t.equal(
      (await deliver(sources.signed, signedBody, standardWebhooks(signingSecret, 'up-1', signedBody, new Date()))).statusCode,
      201,
      'a generic signed submission',
    )
    const tokenBody = JSON.stringify({ email: 'token@acme.example' })
    t.equal((await deliver(sources.token, tokenBody, { authorization: `Bearer ${token}` })).statusCode, 201, 'a token submission')
    t.equal(
      (await deliver(sources.token, tokenBody, {}, `?token=${encodeURIComponent(hashToken(token))}`)).statusCode,
      401,
      'the stored hash is no token',
    )
    const tallyBody = JSON.stringify({
      eventId: 'tally-1',
      eventType: 'FORM_RESPONSE',
      data: { submissionId: 's-1', fields: [{ key: 'email', label: 'Email', value: 'tally@acme.example' }] },
    })
    const tallySignature = createHmac('sha256', tallySecret).update(tallyBody).digest('base64')
    t.equal((await deliver(sources.tally, tallyBody, { 'tally-signature': tallySignature })).statusCode, 201, 'a Tally submission')
  })

  t.test('a new key first in SECRETS_KEY: the next migration seals everything under it', async (t) => {
    const k2 = key('upgrade-2')
    const rotated = loadConfig({ DATABASE_URL: url, DATA_DIR: scratch, SECRETS_KEY: keyList(k2, k1) })
    await migrate(url, rotated)
    const now2 = await stored()
    t.same(
      now2.endpoint.secrets.map((s) => kidOf(s.secret)),
      ['upgrade-2', 'upgrade-2'],
    )
    t.equal(kidOf(now2.sources[sources.signed]!), 'upgrade-2')
    t.equal(kidOf(now2.sources[sources.tally]!), 'upgrade-2')
    t.equal(now2.sources[sources.token], hashToken(token), 'a hashed token stays as it is')
    const onlyNewest = createSecretBox([k2])
    t.same(
      now2.endpoint.secrets.map((s) => onlyNewest.open(s.secret)),
      [current, inGrace],
      'the newest key alone opens them now: the old key can go',
    )
    t.equal(onlyNewest.open(now2.sources[sources.signed]!), signingSecret)
    t.equal(onlyNewest.open(now2.sources[sources.tally]!), tallySecret)

    t.test('a value under a key SECRETS_KEY no longer names stops the migration, naming the id', async (t) => {
      const before = await stored()
      const wrong = loadConfig({ DATABASE_URL: url, DATA_DIR: scratch, SECRETS_KEY: keyList(key('upgrade-3')) })
      await t.rejects(migrate(url, wrong), {
        name: 'UnknownSecretKey',
        message: /key id "upgrade-2", which is not among the keys loaded \(upgrade-3\)/,
      })
      t.same(await stored(), before, 'nothing changed')
      await t.rejects(migrate(url), { message: /migrate\(\) needs the secrets keys/ }, 'nor can it run with no keys at all')
      await migrate(url, rotated)
      t.same(await stored(), before, 'the advisory lock was released: the right keys migrate again')
    })
  })
})
