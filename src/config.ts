import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' })

/**
 * Every environment variable Baton reads. This module is the only reader of
 * `process.env`; the rest of the code receives a validated `Config`.
 */
export const EnvSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL 15+ URL; unset → embedded PostgreSQL under DATA_DIR' })),
  DATABASE_PREPARED_STATEMENTS: { ...Bool, default: 'true', description: 'false: every statement unnamed, for poolers that cannot keep named statements (PgBouncer in transaction mode before 1.21)' },
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  ROLE: Type.Union([Type.Literal('api'), Type.Literal('worker'), Type.Literal('all')], { default: 'all' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  AUTH_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'HS256 key for tokens Baton issues; unset → a dev key generated under DATA_DIR' })),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  WEBHOOK_ALLOW_PRIVATE: Bool,
  DATA_DIR: Type.String({ minLength: 1, default: './.data' }),
  METRICS_ENABLED: { ...Bool, default: 'true' },
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  DEDUPE_WINDOW_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'A repeat submission within this many days is the same lead' }),
  HANDOFF_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'Reps a lead is offered to before it is escalated' }),
  WEBHOOK_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 60, default: 15, description: 'A webhook attempt without a complete answer in this many seconds fails as a timeout' }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    pattern: '^\\s*\\d+(\\.\\d+)?(\\s*,\\s*\\d+(\\.\\d+)?){0,19}\\s*$',
    default: '0,5,300,1800,7200,18000,36000,36000',
    description: 'The delivery schedule in seconds: the first attempt (made at once, so 0), then the wait before each retry, ±20 % jitter',
  }),
  PREDICTIVE_MIN_SAMPLES: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 50, description: 'Leads with a reported outcome needed before a conversion model is trained' }),
  PREDICTIVE_TRAIN_CRON: Type.String({ pattern: '^\\S+( \\S+){4}$', maxLength: 100, default: '0 3 * * *', description: 'When the conversion model is retrained (cron, UTC)' }),
  AUTO_AWAY_AFTER: Type.Integer({ minimum: 0, maximum: 100, default: 3, description: 'A rep who lets this many handoffs in a row expire is set away; 0: never' }),
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
  auth: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string }
  publicUrl: string
  dataDir: string
  metrics: { enabled: boolean; token?: string }
  dedupeWindowDays: number
  handoffs: { maxAttempts: number; autoAwayAfter: number }
  webhooks: { allowPrivate: boolean; timeoutMs: number; retrySchedule: number[] }
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
  return {
    databaseUrl: e.DATABASE_URL,
    preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
    port: e.PORT,
    host: e.HOST,
    role: e.ROLE,
    logLevel: e.LOG_LEVEL,
    auth: compact({ secret: e.AUTH_SECRET, jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE }),
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: e.DATA_DIR,
    metrics: compact({ enabled: e.METRICS_ENABLED === 'true', token: e.METRICS_TOKEN }),
    dedupeWindowDays: e.DEDUPE_WINDOW_DAYS,
    handoffs: { maxAttempts: e.HANDOFF_MAX_ATTEMPTS, autoAwayAfter: e.AUTO_AWAY_AFTER },
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE.split(',').map((step) => Number(step.trim())),
    },
    predictive: { minSamples: e.PREDICTIVE_MIN_SAMPLES, trainCron: e.PREDICTIVE_TRAIN_CRON },
  }
}

function compact<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never
}
