import type { PgBoss } from 'pg-boss'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import type { Clock } from './clock.ts'

/**
 * Everything a service may depend on. Each service asks for the narrowest
 * `Pick<ServiceDeps, …>` it needs, so its dependencies read off its signature.
 */
export interface ServiceDeps {
  config: Config
  db: Db
  boss: PgBoss
  clock: Clock
}
