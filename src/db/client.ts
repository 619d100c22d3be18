import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type { PgTransaction } from 'drizzle-orm/pg-core'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import pg from 'pg'
import * as schema from './schema/index.ts'

export type Schema = typeof schema
/** The drizzle handle on the pool. */
export type Db = NodePgDatabase<Schema>
/** An open transaction; repo functions accept either (`Db | Tx`). */
export type Tx = PgTransaction<NodePgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
export type Queryable = Db | Tx

/** A pool plus its drizzle handle. The pool is lazy: nothing connects until the first query. */
export function createDb(url: string, { max = 10, applicationName = 'baton' } = {}) {
  const pool = new pg.Pool({ connectionString: url, max, application_name: applicationName })
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => {})
  const db: Db = drizzle(pool, { schema })
  return { pool, db }
}
