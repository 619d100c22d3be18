// loadConfig: the environment validated once, with one clear line per mistake.
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

const SECRET = 'a-secret-that-is-long-enough-for-hs256'

t.test('defaults: an empty environment is a working local setup', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    port: 3000,
    host: '127.0.0.1',
    role: 'all',
    logLevel: 'info',
    publicUrl: 'http://localhost:3000',
    webhooks: { allowPrivate: false, timeoutMs: 15_000, retrySchedule: [0, 5, 300, 1800, 7200, 18000, 36000, 36000] },
    dataDir: './.data',
  })
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL: the embedded database')
  t.same(config.auth, { tokenTtlMaxSeconds: 30 * 86_400 }, 'no auth settings: the dev key; npm run token mints at most 30 days')
  t.equal(config.production, false, 'not production unless NODE_ENV says so')
  t.same(config.metrics, { enabled: true }, 'metrics on, without a token')
  t.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080', 'publicUrl follows PORT')
})

t.test('valid values are read and typed', async (t) => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://baton:pw@db.internal:5432/baton',
    PORT: '8080',
    HOST: '0.0.0.0',
    ROLE: 'worker',
    LOG_LEVEL: 'debug',
    AUTH_SECRET: SECRET,
    AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    AUTH_ISSUER: 'https://idp.example.com/',
    AUTH_AUDIENCE: 'baton',
    PUBLIC_URL: 'https://baton.example.com',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    DATA_DIR: '/var/lib/baton',
    METRICS_ENABLED: 'false',
    METRICS_TOKEN: '0123456789abcdef',
  })
  t.match(config, {
    databaseUrl: 'postgres://baton:pw@db.internal:5432/baton',
    port: 8080,
    host: '0.0.0.0',
    role: 'worker',
    logLevel: 'debug',
    publicUrl: 'https://baton.example.com',
    webhooks: { allowPrivate: true },
    dataDir: '/var/lib/baton',
  })
  t.same(config.auth, {
    secret: SECRET,
    jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
    issuer: 'https://idp.example.com/',
    audience: 'baton',
    tokenTtlMaxSeconds: 30 * 86_400,
  })
  t.same(config.metrics, { enabled: false, token: '0123456789abcdef' })
  t.equal(loadConfig({ DATABASE_URL: 'postgresql://u@h/db' }).databaseUrl, 'postgresql://u@h/db', 'postgresql:// too')
  for (const role of ['api', 'worker', 'all'] as const) t.equal(loadConfig({ ROLE: role }).role, role)
  t.equal(loadConfig({ PORT: '0' }).port, 0, 'PORT=0: any free port')
  t.equal(loadConfig({ PORT: '65535' }).port, 65535)
  t.equal(loadConfig({ PORT: ' 4000 ' }).port, 4000, 'surrounding blanks are ignored')
  t.same(
    loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 0.2,1.5 ,60' }).webhooks.retrySchedule,
    [0, 0.2, 1.5, 60],
    'fractions and blanks in the retry schedule',
  )
  t.equal(loadConfig({ WEBHOOK_TIMEOUT_SECONDS: '2' }).webhooks.timeoutMs, 2000)
  t.same(loadConfig({}).predictive, { minSamples: 50, trainCron: '0 3 * * *' }, 'a model needs 50 outcomes; retrained nightly')
})

t.test('each invalid value is a ConfigError naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '65536' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '3000.5' }, 'PORT'],
    [{ PORT: '1e3' }, 'PORT'],
    [{ PORT: 'true' }, 'PORT'],
    [{ ROLE: 'boss' }, 'ROLE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AUTH_SECRET: 'too-short' }, 'AUTH_SECRET'],
    [{ AUTH_SECRET: 'x'.repeat(31) }, 'AUTH_SECRET'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'localhost:5432/baton' }, 'DATABASE_URL'],
    [{ PUBLIC_URL: 'ftp://baton.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'baton.example.com' }, 'PUBLIC_URL'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ METRICS_ENABLED: 'on' }, 'METRICS_ENABLED'],
    [{ WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'WEBHOOK_ALLOW_PRIVATE'],
    [{ WEBHOOK_TIMEOUT_SECONDS: '0' }, 'WEBHOOK_TIMEOUT_SECONDS'],
    [{ WEBHOOK_TIMEOUT_SECONDS: '61' }, 'WEBHOOK_TIMEOUT_SECONDS'],
    [{ WEBHOOK_RETRY_SCHEDULE: '0,5,soon' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ WEBHOOK_RETRY_SCHEDULE: '0,-5' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ WEBHOOK_RETRY_SCHEDULE: '0,,5' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ PREDICTIVE_MIN_SAMPLES: '5' }, 'PREDICTIVE_MIN_SAMPLES'],
    [{ PREDICTIVE_TRAIN_CRON: 'nightly' }, 'PREDICTIVE_TRAIN_CRON'],
    [{ PREDICTIVE_TRAIN_CRON: '0 3 * *' }, 'PREDICTIVE_TRAIN_CRON'],
    [{ AUTH_JWKS_URL: 'file:///etc/jwks.json', AUTH_ISSUER: 'x' }, 'AUTH_JWKS_URL'],
    [{ AUTH_JWKS_URL: 'https://idp.example.com/jwks' }, 'AUTH_ISSUER'],
    [{ AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'https://idp.example.com/' }, 'AUTH_AUDIENCE'],
    [{ AUTH_SECRETS: `no-colon-${SECRET}` }, 'AUTH_SECRETS'],
    [{ AUTH_SECRETS: 'k1:too-short' }, 'AUTH_SECRETS'],
    [{ AUTH_SECRETS: `k1:${SECRET},k1:${SECRET}x` }, 'AUTH_SECRETS'],
    [{ AUTH_SECRETS: `bad kid!:${SECRET}` }, 'AUTH_SECRETS'],
    [{ TOKEN_TTL_MAX: 'forever' }, 'TOKEN_TTL_MAX'],
    [{ TOKEN_TTL_MAX: '3600' }, 'TOKEN_TTL_MAX'],
  ]
  for (const [env, name] of cases) {
    const label = JSON.stringify(env)
    let caught: unknown
    try {
      const config = loadConfig(env)
      t.fail(`${label}: should be refused`, { got: config })
      continue
    } catch (error) {
      caught = error
    }
    t.ok(caught instanceof ConfigError, `${label}: a ConfigError`, { caught })
    const message = (caught as Error).message
    t.match(message, new RegExp(`^Invalid environment: ${name}\\b`), `${label}: names ${name}`)
    t.notMatch(message, /\n/, `${label}: in one line`)
  }
})

t.test('the message shows the value it got, so the typo is visible', async (t) => {
  t.throws(() => loadConfig({ ROLE: 'boss' }), { name: 'ConfigError', message: /"boss"/ })
})

t.test('empty strings count as unset', async (t) => {
  const blank = {
    DATABASE_URL: '',
    PORT: '',
    HOST: '',
    ROLE: '',
    LOG_LEVEL: ' ',
    AUTH_SECRET: '',
    AUTH_JWKS_URL: '',
    AUTH_ISSUER: '',
    AUTH_AUDIENCE: '',
    PUBLIC_URL: '',
    WEBHOOK_ALLOW_PRIVATE: '',
    DATA_DIR: '',
    METRICS_ENABLED: '',
    METRICS_TOKEN: '  ',
  }
  t.same(loadConfig(blank), loadConfig({}))
})

t.test('PUBLIC_URL loses its trailing slash', async (t) => {
  t.equal(loadConfig({ PUBLIC_URL: 'https://baton.example.com/' }).publicUrl, 'https://baton.example.com')
  t.equal(loadConfig({ PUBLIC_URL: 'https://example.com/baton//' }).publicUrl, 'https://example.com/baton')
  t.equal(loadConfig({ PUBLIC_URL: 'http://localhost:8080' }).publicUrl, 'http://localhost:8080')
})

t.test('variables Baton does not know are ignored', async (t) => {
  t.same(loadConfig({ HOME: '/root', TERM: 'xterm', PORTS: 'x' }), loadConfig({}))
})

t.test('an external issuer needs its audience: a token minted for another service of the issuer must not pass', async (t) => {
  const jwks = { AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', AUTH_ISSUER: 'https://idp.example.com/' }
  t.throws(() => loadConfig(jwks), {
    name: 'ConfigError',
    message: /^Invalid environment: AUTH_AUDIENCE is required when AUTH_JWKS_URL is set/,
  })
  t.match(loadConfig({ ...jwks, AUTH_AUDIENCE: 'baton' }).auth, { audience: 'baton' })
})

t.test('NODE_ENV=production refuses the generated dev key, in one line', async (t) => {
  let caught: unknown
  try {
    loadConfig({ NODE_ENV: 'production' })
  } catch (error) {
    caught = error
  }
  t.ok(caught instanceof ConfigError, 'a ConfigError')
  const message = (caught as Error).message
  t.match(message, /^Refusing to start: NODE_ENV=production needs AUTH_SECRET, AUTH_SECRETS, AUTH_KEYS_FILE or AUTH_JWKS_URL/)
  t.notMatch(message, /\n/, 'one line')
  t.throws(() => loadConfig({ NODE_ENV: 'production', AUTH_SECRET: '' }), ConfigError, 'a blank AUTH_SECRET is no key')

  const keyed: Array<[string, Record<string, string>]> = [
    ['AUTH_SECRET', { AUTH_SECRET: SECRET }],
    ['AUTH_SECRETS', { AUTH_SECRETS: `2026-06:${SECRET}` }],
    ['AUTH_KEYS_FILE', { AUTH_KEYS_FILE: '/run/secrets/baton-keys' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'https://idp.example.com/', AUTH_AUDIENCE: 'baton' }],
  ]
  for (const [name, env] of keyed)
    t.equal(loadConfig({ NODE_ENV: 'production', ...env }).production, true, `with ${name}: starts, as production`)
  for (const other of ['development', 'test', 'Production']) {
    t.equal(loadConfig({ NODE_ENV: other }).production, false, `NODE_ENV=${other}: the dev key is allowed`)
  }
})

t.test('signing keys for rotation: AUTH_SECRETS in its order, newest first', async (t) => {
  const auth = loadConfig({ AUTH_SECRETS: ` 2026-06:${SECRET}-new , 2026-01:${SECRET}-old ` }).auth
  t.same(auth.secrets, [
    { kid: '2026-06', secret: `${SECRET}-new` },
    { kid: '2026-01', secret: `${SECRET}-old` },
  ])
  t.equal(
    loadConfig({ AUTH_KEYS_FILE: '/etc/baton/keys' }).auth.keysFile,
    '/etc/baton/keys',
    'AUTH_KEYS_FILE is kept as a path (read at start)',
  )
})

t.test('TOKEN_TTL_MAX: the longest token npm run token mints', async (t) => {
  for (const [text, seconds] of [
    ['90s', 90],
    ['12h', 43_200],
    ['7d', 604_800],
    ['52w', 52 * 604_800],
  ] as const) {
    t.equal(loadConfig({ TOKEN_TTL_MAX: text }).auth.tokenTtlMaxSeconds, seconds, text)
  }
})
