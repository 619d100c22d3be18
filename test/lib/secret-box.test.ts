// Secrets at rest: sealing under SECRETS_KEY's newest key, opening under any, the generated
// key under DATA_DIR, and the hashes bearer tokens are stored as.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import {
  createSecretBox,
  generatedKeyFile,
  hashToken,
  isSealed,
  loadSecretBox,
  openSecret,
  tokenMatches,
} from '../../src/lib/secret-box.ts'

const key = (kid: string) => ({ kid, key: randomBytes(32) })
const SEALED = /^enc:v1:([A-Za-z0-9._-]+):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]+)$/

t.test('seal and open', async (t) => {
  const box = createSecretBox([key('k1')])
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const sealed = box.seal(secret)
  t.match(sealed, SEALED, 'enc:v1:<kid>:<iv>:<ciphertext and tag>, base64url')
  t.equal(SEALED.exec(sealed)?.[1], 'k1', 'the kid is in the stored value')
  t.notOk(sealed.includes(secret.slice(6)), 'the secret is not in it')
  t.equal(box.open(sealed), secret, 'opens to the secret')
  t.not(box.seal(secret), sealed, 'a fresh IV each time: the same secret seals differently')
  t.equal(box.open(box.seal('')), '', 'even an empty value')
  t.equal(box.open(box.seal('ünïcødé ✓')), 'ünïcødé ✓', 'UTF-8 round-trips')
  t.ok(isSealed(sealed))
  t.notOk(isSealed(secret), 'a whsec_ secret is not sealed')
  t.equal(box.open(secret), secret, 'a value never sealed (the previous release wrote it) is answered as it is')
})

t.test('rotation: the first key seals, every key opens', async (t) => {
  const k1 = key('k1-rot')
  const k2 = key('k2-rot')
  const before = createSecretBox([k1])
  const sealedUnderK1 = before.seal('old secret')
  const after = createSecretBox([k2, k1])
  t.equal(after.open(sealedUnderK1), 'old secret', 'the older key still opens what it sealed')
  const sealedUnderK2 = after.seal('new secret')
  t.equal(SEALED.exec(sealedUnderK2)?.[1], 'k2-rot', 'the newest key seals')
  t.ok(after.sealedUnderNewest(sealedUnderK2))
  t.notOk(after.sealedUnderNewest(sealedUnderK1), 'a value under the older key is due to be sealed again')
  t.notOk(after.sealedUnderNewest('whsec_plain'), 'and so is a plaintext one')
})

t.test('a value under a key id that is not loaded fails loudly, naming the id', async (t) => {
  const sealed = createSecretBox([key('gone-key')]).seal('secret')
  const box = createSecretBox([key('kept-key')])
  t.throws(() => box.open(sealed), {
    name: 'UnknownSecretKey',
    message: /key id "gone-key", which is not among the keys loaded \(kept-key\): add "gone-key:<its base64 key>" to SECRETS_KEY/,
  })
  t.throws(
    () => openSecret(sealed.replace('gone-key', 'never-loaded')),
    { message: /key id "never-loaded"/ },
    'the process keyring says the same',
  )
})

t.test('an altered value, or the wrong key under the right id, does not open', async (t) => {
  const box = createSecretBox([key('tamper')])
  const sealed = box.seal('secret')
  const [head, body] = [sealed.slice(0, sealed.lastIndexOf(':') + 1), sealed.slice(sealed.lastIndexOf(':') + 1)]
  const flipped = `${head}${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`
  t.throws(() => box.open(flipped), {
    message: /key id "tamper" does not open: that id names another key than the one that sealed it, or the value was altered/,
  })
  t.throws(
    () => createSecretBox([key('tamper')]),
    { message: /Secrets key id "tamper" names two different keys in this process/ },
    'one kid, one key',
  )
})

t.test('the process keyring opens what any loaded box sealed (the delivery worker has no config)', async (t) => {
  const sealed = createSecretBox([key('ring')]).seal('for the worker')
  t.equal(openSecret(sealed), 'for the worker')
  t.equal(openSecret('whsec_plain'), 'whsec_plain')
})

t.test('without SECRETS_KEY: a key generated once under DATA_DIR, shared by whoever starts', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-secrets-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  // Ten configurations starting at once (as replicas of one host would) agree on one key.
  const boxes = await Promise.all(Array.from({ length: 10 }, () => loadSecretBox({ secretsKeys: undefined, dataDir })))
  const file = generatedKeyFile(dataDir)
  t.equal(file, path.join(dataDir, 'secrets-key'))
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by its owner only')
  const line = (await readFile(file, 'utf8')).trim()
  t.match(line, /^local-[A-Za-z0-9_-]{8}:[A-Za-z0-9+/]{43}=$/, 'one "kid:base64key" line, as SECRETS_KEY takes it')
  const sealed = boxes[0]!.seal('shared')
  for (const box of boxes) t.equal(box.open(sealed), 'shared')
  t.equal(SEALED.exec(sealed)?.[1], line.split(':')[0], "sealed under the file's kid")

  const config = { secretsKeys: undefined, dataDir }
  t.equal(loadSecretBox(config), loadSecretBox(config), 'made once per configuration')
  const later = await loadSecretBox({ secretsKeys: undefined, dataDir })
  t.equal(later.open(sealed), 'shared', 'a later start finds the same key')
  t.equal((await readFile(file, 'utf8')).trim(), line, 'and leaves the file alone')
  const [kid, base64] = line.split(':') as [string, string]
  t.equal(
    createSecretBox([{ kid, key: Buffer.from(base64, 'base64') }]).open(sealed),
    'shared',
    'the line is the SECRETS_KEY entry that moves these secrets elsewhere',
  )
})

t.test('a damaged key file stops the start with a clear message', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-secrets-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  await writeFile(generatedKeyFile(dataDir), 'not a key\n')
  await t.rejects(loadSecretBox({ secretsKeys: undefined, dataDir }), {
    message: /secrets-key is not one "kid:base64key" line of a 32-byte key/,
  })
})

t.test('SECRETS_KEY keys are used as given, no file written', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-secrets-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const box = await loadSecretBox({ secretsKeys: [key('configured')], dataDir })
  t.equal(SEALED.exec(box.seal('x'))?.[1], 'configured')
  await t.rejects(stat(generatedKeyFile(dataDir)), { code: 'ENOENT' })
})

t.test('bearer tokens are stored as SHA-256 and compared in constant time', async (t) => {
  const token = randomBytes(32).toString('base64url')
  const stored = hashToken(token)
  t.match(stored, /^sha256:[A-Za-z0-9_-]{43}$/)
  t.notOk(stored.includes(token))
  t.ok(tokenMatches(token, stored), 'the token matches its hash')
  t.notOk(tokenMatches(`${token}x`, stored), 'a longer one does not')
  t.notOk(tokenMatches(token.slice(1), stored), 'nor a shorter one')
  t.notOk(tokenMatches('', stored))
  t.ok(tokenMatches('legacy-token', 'legacy-token'), 'a token stored in plain by the previous release still compares')
  t.notOk(tokenMatches('other', 'legacy-token'))
  t.notOk(tokenMatches(stored, stored), 'the hash itself is not the token')
})
