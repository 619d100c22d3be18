import { randomBytes, webcrypto } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { ConfigError, durationInSeconds, parseAuthSecret, parseKeyList, type Config } from '../config.ts'

/** Who may do what: SPEC "Auth". */
export const ROLES = ['admin', 'integration', 'rep'] as const
export type Role = (typeof ROLES)[number]

// Tokens Baton issues carry these, so a token minted for another service that
// happens to share the secret is still refused.
export const LOCAL_ISSUER = 'baton'
export const LOCAL_AUDIENCE = 'baton-api'

/** One of Baton's HS256 keys. `kid` is absent for AUTH_SECRET and the dev key: what they sign names no key. */
export interface SigningKey {
  kid?: string
  secret: Uint8Array
}

/**
 * Baton's own HS256 keys. `current` (the newest) signs tokens and accept links, its `kid` in
 * the JWS header; every key in `all` (newest first) verifies, so what an older key signed
 * stays valid for its own lifetime while that key is listed.
 */
export interface SigningKeys {
  current: SigningKey
  all: readonly SigningKey[]
}

/** The longest lifetime signToken mints unless told otherwise: TOKEN_TTL_MAX's default. */
export const DEFAULT_MAX_TTL_SECONDS = 30 * 86_400

/**
 * Baton's HS256 keys: AUTH_SECRETS or AUTH_KEYS_FILE (newest first; AUTH_SECRET beside them
 * still verifies tokens without a kid), else AUTH_SECRET, else, when no external issuer is
 * configured and not in production, a dev key generated once under DATA_DIR.
 * Undefined when only an external issuer is trusted. A bad key setting is a ConfigError.
 */
export async function resolveSigningSecret(config: Pick<Config, 'auth' | 'dataDir' | 'production'>): Promise<SigningKeys | undefined> {
  const { secret, secrets, keysFile, jwksUrl } = config.auth
  if (secrets && keysFile)
    throw new ConfigError('Invalid environment: set AUTH_SECRETS or AUTH_KEYS_FILE, not both (which one lists the newest key?)')
  const listed = secrets ?? (keysFile ? await readKeysFile(keysFile) : undefined)
  const legacy: SigningKey | undefined = secret ? { secret: encode(secret) } : undefined
  if (listed) {
    const named = listed.map((key) => ({ kid: key.kid, secret: encode(key.secret) }))
    return { current: named[0]!, all: legacy ? [...named, legacy] : named }
  }
  if (legacy) return { current: legacy, all: [legacy] }
  if (jwksUrl) return undefined
  // loadConfig refuses this already; a caller with a hand-made config must not get a per-host key either.
  if (config.production)
    throw new ConfigError(
      'Refusing to start: NODE_ENV=production needs AUTH_SECRET, AUTH_SECRETS, AUTH_KEYS_FILE or AUTH_JWKS_URL (a generated dev key ' +
        'would differ on every replica)',
    )
  const dev = { secret: encode(await devSecret(config.dataDir)) }
  return { current: dev, all: [dev] }
}

/**
 * The keys a token or link may have been signed with, given its header's `kid`: the key of
 * that kid (none when it is unknown); without a kid (signed with AUTH_SECRET before keys had
 * names, or with the dev key), each key, those without a kid first.
 */
export function keysFor(keys: SigningKeys, kid: unknown): SigningKey[] {
  if (kid !== undefined) return keys.all.filter((key) => key.kid !== undefined && key.kid === kid)
  return [...keys.all.filter((key) => key.kid === undefined), ...keys.all.filter((key) => key.kid !== undefined)]
}

/**
 * jwtVerify with each candidate key in turn until one's signature matches; any other failure
 * (expired, wrong audience, …) is final, and no candidate at all is jose's ERR_JWKS_NO_MATCHING_KEY.
 * Keys are imported into WebCrypto once each.
 */
export async function verifyWithKeys(token: string, candidates: readonly SigningKey[], options: JWTVerifyOptions): Promise<JWTPayload> {
  let lastError: unknown = new errors.JWKSNoMatchingKey()
  for (const key of candidates) {
    try {
      return (await jwtVerify(token, await verifyingKey(key), { ...options, algorithms: ['HS256'] })).payload
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw error
      lastError = error
    }
  }
  throw lastError
}

const imported = new WeakMap<SigningKey, Promise<webcrypto.CryptoKey>>()
function verifyingKey(key: SigningKey): Promise<webcrypto.CryptoKey> {
  let cryptoKey = imported.get(key)
  if (!cryptoKey) {
    cryptoKey = webcrypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    imported.set(key, cryptoKey)
  }
  return cryptoKey
}

/** "90s", "30m", "1h", "7d", "2w" in seconds; undefined for anything else. */
export const durationSeconds = durationInSeconds

/** Seconds as the largest unit that divides them: 2592000 → "30d", 90 → "90s". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}

/**
 * Signs a Baton token with the newest key (raw bytes: a key without a kid): `role`, optional
 * `sub` (the rep id for rep tokens) and `jti`, expiring `ttl` (seconds, or "1h") after `now`,
 * at most `maxTtlSeconds` (30 days unless raised). Expiry is computed from `now`, never from
 * the wall clock, so tests that move an injected clock see tokens expire.
 */
export async function signToken(
  keys: SigningKeys | Uint8Array,
  {
    role,
    sub,
    jti,
    ttl = '1h',
    now = new Date(),
    maxTtlSeconds = DEFAULT_MAX_TTL_SECONDS,
  }: { role: Role; sub?: string; jti?: string; ttl?: string | number; now?: Date; maxTtlSeconds?: number },
): Promise<string> {
  const key: SigningKey = keys instanceof Uint8Array ? { secret: keys } : keys.current
  const jwt = new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(key.kid ? { kid: key.kid } : {}) })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(Math.floor(now.getTime() / 1000) + lifetime(ttl, maxTtlSeconds))
  if (sub) jwt.setSubject(sub)
  if (jti) jwt.setJti(jti)
  return jwt.sign(key.secret)
}

function lifetime(ttl: string | number, maxTtlSeconds: number): number {
  const seconds = typeof ttl === 'number' ? ttl : durationSeconds(ttl)
  if (seconds === undefined || seconds <= 0)
    throw new RangeError(`token lifetime ${JSON.stringify(ttl)} is not a duration like 30m, 1h or 7d`)
  if (seconds > maxTtlSeconds)
    throw new RangeError(`token lifetime ${JSON.stringify(ttl)} is over the cap of ${formatDuration(maxTtlSeconds)}`)
  return seconds
}

const encode = (text: string) => new TextEncoder().encode(text)

// One "kid:secret" a line, newest first; "#" starts a comment line.
async function readKeysFile(file: string): Promise<Array<{ kid: string; secret: string }>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `Invalid environment: AUTH_KEYS_FILE ${JSON.stringify(file)} cannot be read ` +
        `(${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    )
  }
  const lines = text.split('\n').filter((line) => !line.trimStart().startsWith('#'))
  return parseKeyList('AUTH_KEYS_FILE', lines.join('\n'), parseAuthSecret)
}

async function devSecret(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, 'dev-auth-secret')
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error // another process created it first: use theirs
      },
    )
  }
  return (await readFile(file, 'utf8')).trim()
}
