import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { SignJWT } from 'jose'
import { durationInSeconds, type Config } from '../config.ts'

/** Who may do what: SPEC "Auth". */
export const ROLES = ['admin', 'integration', 'rep'] as const
export type Role = (typeof ROLES)[number]

// Tokens Baton issues carry these, so a token minted for another service that
// happens to share the secret is still refused.
export const LOCAL_ISSUER = 'baton'
export const LOCAL_AUDIENCE = 'baton-api'

/**
 * The HS256 key for tokens Baton issues: AUTH_SECRET, or, when it is unset and no
 * external issuer is configured, a dev key generated once under DATA_DIR.
 * Returns undefined when only an external issuer is trusted.
 */
export async function resolveSigningSecret(config: Pick<Config, 'auth' | 'dataDir'>): Promise<Uint8Array | undefined> {
  if (config.auth.secret) return new TextEncoder().encode(config.auth.secret)
  if (config.auth.jwksUrl) return undefined
  const file = path.resolve(config.dataDir, 'dev-auth-secret')
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error // another process created it first: use theirs
    })
  }
  return new TextEncoder().encode((await readFile(file, 'utf8')).trim())
}

/** "90s", "30m", "1h", "7d", "2w" in seconds; undefined for anything else. */
export const durationSeconds = durationInSeconds

/**
 * Signs a Baton token: `role`, optional `sub` (the rep id for rep tokens), expiring
 * `ttl` (seconds, or "1h") after `now`. Expiry is computed from `now`, never from the
 * wall clock, so tests that move an injected clock see tokens expire.
 */
export function signToken(
  secret: Uint8Array,
  { role, sub, ttl = '1h', now = new Date() }: { role: Role; sub?: string; ttl?: string | number; now?: Date },
): Promise<string> {
  const jwt = new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(Math.floor(now.getTime() / 1000) + lifetime(ttl))
  if (sub) jwt.setSubject(sub)
  return jwt.sign(secret)
}

function lifetime(ttl: string | number): number {
  const seconds = typeof ttl === 'number' ? ttl : durationSeconds(ttl)
  if (seconds === undefined || seconds <= 0) throw new RangeError(`token lifetime ${JSON.stringify(ttl)} is not a duration like 30m, 1h or 7d`)
  return seconds
}
