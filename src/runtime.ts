import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import pg from 'pg'
import type { ServiceDeps } from './lib/deps.ts'
import { buildApp, buildMetricsApp } from './app.ts'
import type { Config } from './config.ts'
import { createDb } from './db/client.ts'
import { isDatabaseUnavailable } from './db/errors.ts'
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts'
import { migrate } from './db/migrate.ts'
import { resolveSigningSecret } from './lib/auth-keys.ts'
import { createQueues } from './jobs/index.ts'
import { createBoss } from './lib/boss.ts'
import { systemClock, type Clock } from './lib/clock.ts'
import { createLogger } from './lib/logger.ts'
import { loadSecretBox } from './lib/secret-box.ts'
import { createAcceptLinks } from './modules/handoffs/accept-link.ts'
import { createMetrics, watchRuntime } from './lib/metrics.ts'
import { closeWithin } from './plugins/slow-clients.ts'
import { createServices, type Services } from './services.ts'
import { registerWorkers } from './worker.ts'

/** A started Baton: the app (not yet listening) and the one way to stop everything in order. */
export interface Runtime {
  app: FastifyInstance
  /** GET /metrics on a listener of its own, when METRICS_PORT is set. */
  metricsApp: FastifyInstance | undefined
  logger: Logger
  /** Listens on HOST:PORT (and HOST:METRICS_PORT); the addresses listened on. */
  listen(): Promise<string[]>
  /**
   * Drains HTTP (SHUTDOWN_TIMEOUT_SECONDS at most, then the connections still open are
   * closed), then jobs, then closes the pool and the embedded database.
   */
  close(): Promise<void>
}

const EMBEDDED_DATABASE = 'baton'

/**
 * Brings up the database (embedded unless DATABASE_URL is set), migrates it,
 * starts pg-boss and its workers per ROLE, and builds the app.
 */
export async function startRuntime(config: Config, { clock = systemClock }: { clock?: Clock } = {}): Promise<Runtime> {
  const logger = createLogger(config.logLevel)
  const database = await startRuntimeDatabase(config, logger)
  try {
    const services = await startServices(config, database.url, { clock, logger })
    return {
      ...services,
      close: async () => {
        await services.close()
        await database.stop()
      },
    }
  } catch (error) {
    await database.stop()
    throw error
  }
}

/**
 * On an already migrated database: the pool, pg-boss with its queues (and workers per
 * ROLE), and the app. Tests use this directly on their own database.
 */
export async function startServices(
  config: Config,
  url: string,
  { clock = systemClock, logger = createLogger(config.logLevel) }: { clock?: Clock; logger?: Logger } = {},
): Promise<Runtime & { deps: ServiceDeps & { pool: pg.Pool }; services: Services }> {
  let draining = false
  const { pool, db } = createDb(url, { prepare: config.preparedStatements, ...config.database })
  const boss = createBoss(url, { role: config.role, prepare: config.preparedStatements })
  boss.on('error', (error) => logBossError(logger, error))
  await boss.start()
  await createQueues(boss)
  const signingSecret = await resolveSigningSecret(config)
  await loadSecretBox(config) // the keys stored secrets are sealed under, for this process's workers too
  const acceptLinks = createAcceptLinks({ secret: signingSecret, publicUrl: config.publicUrl, clock })
  const metrics = createMetrics()
  watchRuntime(metrics, { boss, pool })
  const deps = { config, db, boss, clock, acceptLinks, metrics, logger }
  const services = createServices({ ...deps, pool, isDraining: () => draining })
  const workers = config.role !== 'api' ? await registerWorkers(boss, services, deps) : undefined
  const app = await buildApp({ ...deps, services, signingSecret })
  const metricsPort = config.metrics.enabled ? config.metrics.port : undefined
  const metricsApp = metricsPort === undefined ? undefined : await buildMetricsApp(deps)
  const closeHttp = (server: FastifyInstance) =>
    closeWithin(server, config.http.shutdownTimeoutMs, () =>
      logger.warn(`still draining after ${config.http.shutdownTimeoutMs / 1000} s: closing the connections left open`),
    )
  return {
    app,
    metricsApp,
    logger,
    deps: { ...deps, pool },
    services,
    async listen() {
      const addresses = [await app.listen({ port: config.port, host: config.host })]
      if (metricsApp) addresses.push(await metricsApp.listen({ port: metricsPort, host: config.host }))
      return addresses
    },
    async close() {
      draining = true
      await Promise.all([closeHttp(app), metricsApp && closeHttp(metricsApp)])
      try {
        await boss.stop({ graceful: true, timeout: 30_000 })
      } finally {
        await workers?.close()
        await services.close()
        await pool.end()
      }
    },
  }
}

/**
 * The database, migrated: DATABASE_URL's, or an embedded cluster under DATA_DIR
 * (started, and stopped by `stop`). `npm run migrate` is exactly this.
 */
export async function startRuntimeDatabase(config: Config, logger = createLogger(config.logLevel)) {
  let embedded: EmbeddedDatabase | undefined
  let url = config.databaseUrl
  try {
    if (!url) {
      const dbLog = logger.child({ component: 'embedded-postgres' })
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (message) => dbLog.debug(message) })
      await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE)
      url = embedded.urlFor(EMBEDDED_DATABASE)
      logger.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started')
    }
    await migrate(url, config)
  } catch (error) {
    await embedded?.stop()
    throw error
  }
  return { url, stop: async () => embedded?.stop() }
}

// SQLSTATE class 57P: the server is shutting down or restarting (e.g. Ctrl-C reached
// the embedded PostgreSQL first). An operational event, not a bug: one short warning.
function logBossError(logger: Logger, error: Error): void {
  const code = (error as { code?: string }).code
  // A restart or failover: pg-boss reconnects and polls again on its own.
  if (isDatabaseUnavailable(error)) logger.warn({ code }, `pg-boss lost its database connection: ${error.message}`)
  else logger.error({ err: error }, 'pg-boss error')
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name])
    if (!rowCount) await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
}
