// Prints a Baton JWT alone on stdout: npm run -s token -- --role admin [--sub REP_ID] [--ttl 1h]
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../src/config.ts'
import { ROLES, durationSeconds, formatDuration, resolveSigningSecret, signToken, type Role } from '../src/lib/auth-keys.ts'
import { isUuid } from '../src/lib/ids.ts'

const usage = `usage: npm run -s token -- --role ${ROLES.join('|')} [--sub REP_ID] [--ttl 1h]`

function fail(message: string, { withUsage = true } = {}): never {
  console.error(withUsage ? `token: ${message}\n${usage}` : `token: ${message}`)
  process.exit(2)
}

try {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string', default: '1h' } },
    strict: true,
  })
  const role = values.role as Role | undefined
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`)
  if (role === 'rep' && !(values.sub && isUuid(values.sub))) fail('a rep token needs --sub with the rep id (a UUID)')
  const ttlSeconds = durationSeconds(values.ttl)
  if (!ttlSeconds) fail(`--ttl "${values.ttl}" is not a duration like 30m, 1h or 7d`)

  const config = loadConfig()
  const cap = config.auth.tokenTtlMaxSeconds
  if (ttlSeconds > cap) {
    fail(
      `--ttl ${values.ttl} is over the cap of ${formatDuration(cap)}; mint a shorter token, or raise the cap with TOKEN_TTL_MAX (e.g. TOKEN_TTL_MAX=${values.ttl})`,
      { withUsage: false },
    )
  }
  const keys = await resolveSigningSecret(config)
  if (!keys)
    fail(
      'AUTH_JWKS_URL is set without AUTH_SECRET, AUTH_SECRETS or AUTH_KEYS_FILE: tokens come from your identity provider, not from Baton',
    )
  // A jti of its own: a token without a sub is still its own caller (Idempotency-Key scopes).
  console.log(
    await signToken(keys, { role, ttl: ttlSeconds, jti: randomUUID(), maxTtlSeconds: cap, ...(values.sub ? { sub: values.sub } : {}) }),
  )
} catch (error) {
  if (error instanceof ConfigError) fail(error.message)
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((error as Error).message)
  throw error
}
