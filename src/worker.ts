import type { PgBoss } from 'pg-boss'
import type { ServiceDeps } from './lib/deps.ts'

/**
 * Registers the pg-boss handlers this instance runs (ROLE=worker|all). Each handler
 * re-reads its state under a row lock and does nothing if the world has moved on.
 * The timed work (deadlines, re-routing, webhook delivery) arrives with later issues.
 */
export async function registerWorkers(_boss: PgBoss, _deps: ServiceDeps): Promise<void> {}
