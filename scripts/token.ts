// Prints a Baton JWT alone on stdout: npm run -s token -- --role admin [--sub REP_ID] [--ttl 1h]
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../src/config.ts'
import { ROLES, durationSeconds, resolveSigningSecret, signToken, type Role } from '../src/lib/auth-keys.ts'
import { isUuid } from '../src/lib/ids.ts'

const usage = `usage: npm run -s token -- --role ${ROLES.join('|')} [--sub REP_ID] [--ttl 1h]`

function fail(message: string): never {
  console.error(`token: ${message}\n${usage}`)
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
  if (!durationSeconds(values.ttl)) fail(`--ttl "${values.ttl}" is not a duration like 30m, 1h or 7d`)

  const config = loadConfig()
  const secret = await resolveSigningSecret(config)
  if (!secret) fail('AUTH_JWKS_URL is set without AUTH_SECRET: tokens come from your identity provider, not from Baton')
  console.log(await signToken(secret, { role, ttl: values.ttl, ...(values.sub ? { sub: values.sub } : {}) }))
} catch (error) {
  if (error instanceof ConfigError) fail(error.message)
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((error as Error).message)
  throw error
}
