// Secrets at rest: webhook signing secrets and form-source secrets are sealed (AES-256-GCM, so
// Baton can sign and verify with them), generic sources' bearer tokens are hashed (only ever compared).
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../config.ts'

/** A key for secrets at rest: its id, stored in every value it seals, and its 32 bytes. */
export interface SecretKey {
  kid: string
  key: Buffer
}

/** Seals secrets for the database and opens them again, under one configuration's keys. */
export interface SecretBox {
  /** `enc:v1:<kid>:<iv>:<ciphertext and tag>` (base64url), under the newest key. */
  seal(plaintext: string): string
  /** The plaintext of a sealed value; a value that was never sealed is answered as it is. */
  open(stored: string): string
  /** Whether `stored` is sealed under the newest key (else the migration seals it again). */
  sealedUnderNewest(stored: string): boolean
}

/** A stored secret sealed under a key id this process does not have. */
export class UnknownSecretKey extends Error {
  override name = 'UnknownSecretKey'
  constructor(kid: string, known: string[]) {
    super(
      `A stored secret is sealed under key id "${kid}", which is not among the keys loaded (${known.join(', ') || 'none'}): add ` +
        `"${kid}:<its base64 key>" to SECRETS_KEY (after the newest)`,
    )
  }
}

const PREFIX = 'enc:v1:'
// `enc:v1:`, a kid (config.ts KEY_ID), a 12-byte IV, then at least the 16-byte tag.
const SEALED = /^enc:v1:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/
const IV_BYTES = 12
const TAG_BYTES = 16

interface LoadedKey {
  object: KeyObject
  fingerprint: string
}

// Every key loaded in this process, by kid: the delivery worker opens endpoint secrets in
// deliveries.repo.ts, which has no configuration of its own. A kid names one key only.
const keyring = new Map<string, LoadedKey>()
// Opened values, by their sealed text: one AES-GCM open per secret, not per webhook attempt.
// Past this many (endpoints churned, secrets rotated), start again.
const MAX_OPENED = 1000
const opened = new Map<string, string>()

/** Whether a stored value is a sealed one (anything else was stored before secrets were sealed). */
export const isSealed = (stored: string): boolean => SEALED.test(stored)

/** A box sealing under `keys[0]` and opening under any of `keys`; the keys join the process's keyring. */
export function createSecretBox(keys: SecretKey[]): SecretBox {
  const [newest] = keys
  if (!newest) throw new Error('a secret box needs at least one key')
  const own = new Map(keys.map(({ kid, key }) => [kid, addToKeyring(kid, key)]))
  const newestKey = own.get(newest.kid)!
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', newestKey.object, iv)
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${PREFIX}${newest.kid}:${iv.toString('base64url')}:${sealed.toString('base64url')}`
    },
    open: (stored) =>
      openWith(
        stored,
        (kid) => own.get(kid),
        () => [...own.keys()],
      ),
    sealedUnderNewest: (stored) => SEALED.exec(stored)?.[1] === newest.kid,
  }
}

/**
 * Opens a sealed value with whichever key of this process sealed it (its kid says which).
 * For code that has no configuration: the runtime loads the keys at start (loadSecretBox).
 */
export function openSecret(stored: string): string {
  return openWith(
    stored,
    (kid) => keyring.get(kid),
    () => [...keyring.keys()],
  )
}

function openWith(stored: string, keyFor: (kid: string) => LoadedKey | undefined, known: () => string[]): string {
  const parts = SEALED.exec(stored)
  // Not sealed: written by an instance of the previous release during a rolling upgrade; the next migration seals it.
  if (!parts) return stored
  const [, kid, iv, body] = parts as unknown as [string, string, string, string]
  const key = keyFor(kid)
  if (!key) throw new UnknownSecretKey(kid, known())
  const cached = opened.get(stored)
  if (cached !== undefined) return cached
  const bytes = Buffer.from(body, 'base64url')
  const decipher = createDecipheriv('aes-256-gcm', key.object, Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
  let plaintext: string
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    throw new Error(
      `A stored secret sealed under key id "${kid}" does not open: that id names another key than the one that sealed it, or the value ` +
        `was altered`,
    )
  }
  if (opened.size >= MAX_OPENED) opened.clear()
  opened.set(stored, plaintext)
  return plaintext
}

function addToKeyring(kid: string, key: Buffer): LoadedKey {
  if (key.length !== 32) throw new Error(`secrets key "${kid}" must be 32 bytes`)
  const fingerprint = createHash('sha256').update(key).digest('base64url')
  const known = keyring.get(kid)
  if (known && known.fingerprint !== fingerprint)
    throw new Error(`Secrets key id "${kid}" names two different keys in this process: give each key its own id`)
  if (known) return known
  const loaded = { object: createSecretKey(key), fingerprint }
  keyring.set(kid, loaded)
  return loaded
}

const boxes = new WeakMap<object, Promise<SecretBox>>()

/**
 * The box for this configuration: SECRETS_KEY's keys, else a key generated once under
 * DATA_DIR. Made once per configuration; the runtime makes it at start, so a worker has
 * the keys its deliveries are sealed under and an unreadable key file stops the boot.
 */
export function loadSecretBox(config: Pick<Config, 'secretsKeys' | 'dataDir'>): Promise<SecretBox> {
  let box = boxes.get(config)
  if (!box) {
    box = (async () => createSecretBox(config.secretsKeys ?? [await generatedKey(config.dataDir)]))()
    boxes.set(config, box)
    box.catch(() => boxes.delete(config))
  }
  return box
}

/** The file a generated key lives in: one "kid:base64key" line, as SECRETS_KEY takes it. */
export const generatedKeyFile = (dataDir: string) => path.resolve(dataDir, 'secrets-key')

/**
 * The key under DATA_DIR, made on first use (mode 0600). It is written whole to a file of
 * this process's own, then linked into place: two processes starting together agree on
 * one key, and neither can read a half-written file.
 */
async function generatedKey(dataDir: string): Promise<SecretKey> {
  const file = generatedKeyFile(dataDir)
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true })
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
    await writeFile(draft, `local-${randomBytes(6).toString('base64url')}:${randomBytes(32).toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    })
    try {
      await link(draft, file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error // another process made it first: use theirs
      })
    } finally {
      await unlink(draft).catch(() => {})
    }
  }
  const match = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]{43}=)$/.exec((await readFile(file, 'utf8')).trim())
  if (!match) throw new Error(`${file} is not one "kid:base64key" line of a 32-byte key; restore it, or set SECRETS_KEY to the key it held`)
  return { kid: match[1]!, key: Buffer.from(match[2]!, 'base64') }
}

const TOKEN_HASH = /^sha256:[A-Za-z0-9_-]{43}$/

/** A bearer token as stored: `sha256:<base64url digest>`. The token itself is shown once, then only compared. */
export const hashToken = (token: string): string => `sha256:${createHash('sha256').update(token, 'utf8').digest('base64url')}`

/** Whether a stored token is hashed (anything else was stored before tokens were hashed). */
export const isTokenHash = (stored: string): boolean => TOKEN_HASH.test(stored)

/**
 * Whether `given` is the token stored as `stored`, in constant time: digests of equal length
 * are compared, so the time says nothing about the token or its length. A token stored in
 * plain by the previous release (a rolling upgrade) is compared as it is, until the migration hashes it.
 */
export function tokenMatches(given: string, stored: string): boolean {
  const expected = isTokenHash(stored) ? stored : hashToken(stored)
  return timingSafeEqual(Buffer.from(hashToken(given)), Buffer.from(expected))
}
