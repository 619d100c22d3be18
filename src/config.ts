import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' })

/**
 * Every environment variable Baton reads. This module is the only reader of
 * `process.env`; the rest of the code receives a validated `Config`.
 */
export const EnvSchema = Type.Object({
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL 15+ URL; unset → embedded PostgreSQL under DATA_DIR' }),
  ),
  DATABASE_PREPARED_STATEMENTS: {
    ...Bool,
    default: 'true',
    description:
      'false: every statement unnamed, for poolers that cannot keep named statements (PgBouncer in transaction mode before 1.21)',
  },
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  ROLE: Type.Union([Type.Literal('api'), Type.Literal('worker'), Type.Literal('all')], { default: 'all' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  AUTH_SECRET: Type.Optional(
    Type.String({ minLength: 32, description: 'HS256 key for tokens Baton issues; unset → a dev key generated under DATA_DIR' }),
  ),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  WEBHOOK_ALLOW_PRIVATE: Bool,
  SMTP_URL: Type.Optional(
    Type.String({ pattern: '^smtps?://', description: 'Where email notifications go: smtp(s)://user:pass@host:port' }),
  ),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Baton <baton@localhost>', description: 'The From of email notifications' }),
  DATA_DIR: Type.String({ minLength: 1, default: './.data' }),
  METRICS_ENABLED: { ...Bool, default: 'true' },
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  DEDUPE_WINDOW_DAYS: Type.Integer({
    minimum: 1,
    maximum: 365,
    default: 30,
    description: 'A repeat submission within this many days is the same lead',
  }),
  HANDOFF_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 20,
    default: 3,
    description: 'Reps a lead is offered to before it is escalated',
  }),
  WEBHOOK_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 60,
    default: 15,
    description: 'A webhook attempt without a complete answer in this many seconds fails as a timeout',
  }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    pattern: '^\\s*\\d+(\\.\\d+)?(\\s*,\\s*\\d+(\\.\\d+)?){0,19}\\s*$',
    default: '0,5,300,1800,7200,18000,36000,36000',
    description: 'The delivery schedule in seconds: the first attempt (made at once, so 0), then the wait before each retry, ±20 % jitter',
  }),
  PREDICTIVE_MIN_SAMPLES: Type.Integer({
    minimum: 10,
    maximum: 1_000_000,
    default: 50,
    description: 'Leads with a reported outcome needed before a conversion model is trained',
  }),
  PREDICTIVE_TRAIN_CRON: Type.String({
    pattern: '^\\S+( \\S+){4}$',
    maxLength: 100,
    default: '0 3 * * *',
    description: 'When the conversion model is retrained (cron, UTC)',
  }),
  AUTO_AWAY_AFTER: Type.Integer({
    minimum: 0,
    maximum: 100,
    default: 3,
    description: 'A rep who lets this many handoffs in a row expire is set away; 0: never',
  }),
  NODE_ENV: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'production: refuse to start without a configured signing key' }),
  ),
  AUTH_SECRETS: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Several HS256 keys as "kid:secret" pairs, comma-separated, newest first: the first signs, all verify',
    }),
  ),
  AUTH_KEYS_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'A file holding AUTH_SECRETS-style "kid:secret" lines, newest first' }),
  ),
  TOKEN_TTL_MAX: Type.String({ pattern: '^\\d{1,6}[smhdw]$', default: '30d', description: 'The longest lifetime npm run token mints' }),
  REQUEST_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 30,
    description: 'A request not fully received and answered in this many seconds is cut off (408)',
  }),
  CONNECTION_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 10,
    description: 'An idle or silent socket is closed after this many seconds',
  }),
  SHUTDOWN_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 600,
    default: 10,
    description: 'On SIGTERM, in-flight requests get this long; then connections are closed',
  }),
  METRICS_PORT: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: 'Serve GET /metrics on this port of HOST only, apart from the API' }),
  ),
  SECRETS_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'AES-256-GCM keys for secrets at rest as "kid:base64key" pairs (32 bytes each), comma-separated, newest first',
    }),
  ),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    default: 30_000,
    description: 'API statements running longer are cancelled; 0: no limit',
  }),
  DATABASE_POOL_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: 600_000,
    default: 10_000,
    description: 'Waiting longer than this for a pooled connection fails the request (503); 0: wait for ever',
  }),
})

type Env = Static<typeof EnvSchema>

/** The validated configuration every other module receives. */
export interface Config {
  databaseUrl: string | undefined
  /** Statements run often are prepared per connection, named after their text (db/client.ts). */
  preparedStatements: boolean
  port: number
  host: string
  role: Env['ROLE']
  logLevel: string
  /** NODE_ENV=production. */
  production: boolean
  /**
   * `secret` is AUTH_SECRET; `secrets` are AUTH_SECRETS (or AUTH_KEYS_FILE, read at start by
   * lib/auth-keys.ts), newest first. `tokenTtlMaxSeconds` caps `npm run token --ttl`.
   */
  auth: {
    secret?: string
    secrets?: Array<{ kid: string; secret: string }>
    keysFile?: string
    jwksUrl?: string
    issuer?: string
    audience?: string
    tokenTtlMaxSeconds: number
  }
  http: { requestTimeoutMs: number; connectionTimeoutMs: number; shutdownTimeoutMs: number }
  /** Keys for secrets at rest, newest first (the first encrypts); undefined: a generated key under DATA_DIR. */
  secretsKeys: Array<{ kid: string; key: Buffer }> | undefined
  database: { statementTimeoutMs: number; poolTimeoutMs: number }
  publicUrl: string
  dataDir: string
  metrics: { enabled: boolean; token?: string; port?: number }
  dedupeWindowDays: number
  handoffs: { maxAttempts: number; autoAwayAfter: number }
  webhooks: { allowPrivate: boolean; timeoutMs: number; retrySchedule: number[] }
  /** Email notifications; no smtpUrl: none are sent (each is recorded as failed, saying why). */
  mail: { smtpUrl?: string; from: string }
  predictive: { minSamples: number; trainCron: string }
}

/** Raised for an invalid environment; its message is the one line an operator needs. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Validates the environment once. Empty strings count as unset, so a blank
 * line in `.env` does not turn into an invalid value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, string> = {}
  for (const key of known) {
    const value = env[key]
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim()
  }
  // Value.Convert is lenient ("true" → 1, "1e3" → 1, "3000.5" → 3000): whole numbers are checked as text first.
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const value = raw[key]
    if (value !== undefined && (schema as { type?: string }).type === 'integer' && !/^\d+$/.test(value)) {
      throw new ConfigError(`Invalid environment: ${key} must be a whole number (got ${JSON.stringify(value)})`)
    }
  }
  const candidate = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw))
  const firstError = Value.Errors(EnvSchema, candidate).First()
  if (firstError) {
    const name = firstError.path.replace(/^\//, '')
    const shown = name in raw ? ` (got ${JSON.stringify(raw[name])})` : ''
    throw new ConfigError(`Invalid environment: ${name} ${firstError.message.toLowerCase()}${shown}`)
  }
  const e = candidate as Env
  if (e.AUTH_JWKS_URL && !e.AUTH_ISSUER) {
    throw new ConfigError('Invalid environment: AUTH_ISSUER is required when AUTH_JWKS_URL is set')
  }
  if (e.AUTH_JWKS_URL && !e.AUTH_AUDIENCE) {
    throw new ConfigError(
      'Invalid environment: AUTH_AUDIENCE is required when AUTH_JWKS_URL is set (a token minted for another service of the same ' +
        'issuer must not pass)',
    )
  }
  const production = e.NODE_ENV === 'production'
  const authSecrets = e.AUTH_SECRETS === undefined ? undefined : parseKeyList('AUTH_SECRETS', e.AUTH_SECRETS, parseAuthSecret)
  if (production && !e.AUTH_SECRET && !authSecrets && !e.AUTH_KEYS_FILE && !e.AUTH_JWKS_URL) {
    throw new ConfigError(
      'Refusing to start: NODE_ENV=production needs AUTH_SECRET, AUTH_SECRETS, AUTH_KEYS_FILE or AUTH_JWKS_URL (a generated dev key ' +
        'would differ on every replica)',
    )
  }
  if (e.METRICS_ENABLED === 'true' && !e.METRICS_TOKEN && e.METRICS_PORT === undefined && !isLoopbackHost(e.HOST)) {
    throw new ConfigError(
      `Refusing to start: HOST=${e.HOST} would publish GET /metrics to anyone; set METRICS_TOKEN, METRICS_PORT (a listener of its own) ` +
        `or METRICS_ENABLED=false`,
    )
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    throw new ConfigError('Invalid environment: METRICS_PORT must differ from PORT')
  }
  return {
    databaseUrl: e.DATABASE_URL,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
    port: e.PORT,
    host: e.HOST,
    role: e.ROLE,
    logLevel: e.LOG_LEVEL,
    production,
    auth: {
      ...compact({
        secret: e.AUTH_SECRET,
        secrets: authSecrets,
        keysFile: e.AUTH_KEYS_FILE,
        jwksUrl: e.AUTH_JWKS_URL,
        issuer: e.AUTH_ISSUER,
        audience: e.AUTH_AUDIENCE,
      }),
      tokenTtlMaxSeconds: durationInSeconds(e.TOKEN_TTL_MAX)!, // the schema's pattern is a duration
    },
    http: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
      connectionTimeoutMs: e.CONNECTION_TIMEOUT_SECONDS * 1000,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    },
    secretsKeys: e.SECRETS_KEY === undefined ? undefined : parseKeyList('SECRETS_KEY', e.SECRETS_KEY, parseSecretsKey),
    database: { statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS, poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS },
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: e.DATA_DIR,
    metrics: compact({ enabled: e.METRICS_ENABLED === 'true', token: e.METRICS_TOKEN, port: e.METRICS_PORT }),
    dedupeWindowDays: e.DEDUPE_WINDOW_DAYS,
    handoffs: { maxAttempts: e.HANDOFF_MAX_ATTEMPTS, autoAwayAfter: e.AUTO_AWAY_AFTER },
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE.split(',').map((step) => Number(step.trim())),
    },
    predictive: { minSamples: e.PREDICTIVE_MIN_SAMPLES, trainCron: e.PREDICTIVE_TRAIN_CRON },
    mail: compact({ smtpUrl: e.SMTP_URL, from: e.MAIL_FROM }),
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** "90s", "30m", "1h", "7d", "2w" in seconds; undefined for anything else. */
export function durationInSeconds(text: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim())
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : undefined
}

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]'])
const isLoopbackHost = (host: string) => LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/

/** "kid:value, kid:value" → entries in the given order; a malformed or repeated kid names the variable. */
export function parseKeyList<T extends { kid: string }>(
  name: string,
  text: string,
  parse: (kid: string, value: string) => T | string,
): T[] {
  const entries: T[] = []
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const colon = item.indexOf(':')
    const kid = item.slice(0, colon)
    if (colon < 1 || !KEY_ID.test(kid))
      throw new ConfigError(`Invalid environment: ${name} must be "kid:key" pairs (a kid of letters, digits, ".", "_" or "-")`)
    if (entries.some((entry) => entry.kid === kid)) throw new ConfigError(`Invalid environment: ${name} names key id "${kid}" twice`)
    const parsed = parse(kid, item.slice(colon + 1))
    if (typeof parsed === 'string') throw new ConfigError(`Invalid environment: ${name} key "${kid}" ${parsed}`)
    entries.push(parsed)
  }
  if (entries.length === 0) throw new ConfigError(`Invalid environment: ${name} names no key`)
  return entries
}

export const parseAuthSecret = (kid: string, secret: string) => (secret.length >= 32 ? { kid, secret } : 'must be at least 32 characters')

function parseSecretsKey(kid: string, value: string) {
  const key = Buffer.from(value, 'base64')
  return key.length === 32 ? { kid, key } : 'must be 32 bytes in base64 (openssl rand -base64 32)'
}

function compact<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never
}
