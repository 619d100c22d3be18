import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import type { AcceptLinks } from '../modules/handoffs/accept-link.ts'
import type { Clock } from './clock.ts'
import type { Metrics } from './metrics.ts'

/**
 * Everything a service may depend on. Each service asks for the narrowest
 * `Pick<ServiceDeps, …>` it needs, so its dependencies read off its signature.
 */
export interface ServiceDeps {
  config: Config
  db: Db
  boss: PgBoss
  clock: Clock
  /** Signs and checks one-click accept links (the service's own key, the service's clock). */
  acceptLinks: AcceptLinks
  /** The process's logger (credentials redacted): services log domain events once committed. */
  logger: Logger
  /** This instance's Prometheus metrics: services count what they did once it has committed. */
  metrics: Metrics
}
