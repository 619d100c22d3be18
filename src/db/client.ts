import { createHash } from 'node:crypto'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import type { PgTransaction } from 'drizzle-orm/pg-core'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm'
import pg from 'pg'
import * as schema from './schema/index.ts'

export type Schema = typeof schema
/** The drizzle handle on the pool. */
export type Db = NodePgDatabase<Schema>
/** An open transaction; repo functions accept either (`Db | Tx`). */
export type Tx = PgTransaction<NodePgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
export type Queryable = Db | Tx

/** The pool's limits (config.database); 0 is no limit, as in PostgreSQL and pg-pool. */
export interface PoolLimits {
  /** DATABASE_STATEMENT_TIMEOUT_MS: each connection's `statement_timeout`; a statement past it fails with 57014. */
  statementTimeoutMs?: number
  /** DATABASE_POOL_TIMEOUT_MS: pg-pool's `connectionTimeoutMillis`, the longest wait for a connection (checkout or connect). */
  poolTimeoutMs?: number
}

/**
 * A pool plus its drizzle handle. The pool is lazy: nothing connects until the first query.
 * `prepare: false` (DATABASE_PREPARED_STATEMENTS): plain connections, every statement unnamed.
 *
 * The statement timeout is a startup parameter of every connection, so it bounds whatever
 * runs on this pool, API requests and (ROLE=all) job handlers alike. Work that may rightly
 * run longer raises it for its own transaction (`allowLongStatements`) rather than getting a
 * pool of its own: one pool keeps one connection budget, and the exemption sits in the code
 * that needs it, where a reader sees it. pg-boss's own pool (lib/boss.ts) has no such limit.
 */
export function createDb(
  url: string,
  {
    max = 10,
    applicationName = 'baton',
    prepare = true,
    statementTimeoutMs = 0,
    poolTimeoutMs = 0,
  }: { max?: number; applicationName?: string; prepare?: boolean } & PoolLimits = {},
) {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    Client: connectionClass(prepare),
    // Unset, not 0, for "no limit": the server's (or role's) own setting then applies.
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    ...(poolTimeoutMs > 0 ? { connectionTimeoutMillis: poolTimeoutMs } : {}),
  })
  // An idle client that loses its connection emits on the pool; a checked-out one (held
  // between two statements of a transaction when the server goes away) emits on itself,
  // because pg-pool takes its own listener off while it is lent out. Without a listener
  // either would crash the process; the failed query already tells its caller, and
  // pg-pool discards a client that can no longer be queried when it is released.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db: Db = withCommitHooks(drizzle(pool, { schema }))
  return { pool, db }
}

// A text is prepared once it has run this often: the statements every lead or job runs
// qualify at once, one-off texts (an IN list of an unusual length) never take a name.
const USES_BEFORE_NAMING = 3
// Distinct texts that get a name, and texts counted: past these, statements run unnamed, so
// each connection's prepared statements (and this process's counts) stay bounded.
const MAX_NAMED_STATEMENTS = 500
const MAX_COUNTED_TEXTS = 5_000
const statementNames = new Map<string, string>()
const uses = new Map<string, number>()

/** The prepared statement name for a text run often enough, while names last. */
function statementName(text: string): string | undefined {
  const name = statementNames.get(text)
  if (name || statementNames.size >= MAX_NAMED_STATEMENTS) return name
  const count = (uses.get(text) ?? 0) + 1
  if (count < USES_BEFORE_NAMING) {
    if (uses.has(text) || uses.size < MAX_COUNTED_TEXTS) uses.set(text, count)
    return undefined
  }
  uses.delete(text)
  const named = `t_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`
  statementNames.set(text, named)
  return named
}

// A prepared statement that can no longer run on its connection: its result columns changed
// under it (a migration while the service runs), or node-postgres closed it after failing to
// encode a value yet still counts it as parsed.
const STALE_STATEMENT = new Set(['0A000', '26000'])

/**
 * A connection that runs every parameterised statement as a prepared statement named after
 * its text: PostgreSQL parses it once per connection instead of once per call, and plans it
 * once when a generic plan is as good (or the transaction asked for one: useGenericPlans in
 * prepared.ts). Drizzle and pg-boss send unnamed statements; for the 15-20 statements of a lead or a
 * deadline expiry, parsing and planning cost about as much as running them
 * (pg_stat_statements, track_planning). Both pools use it (pg-pool's `Client` option).
 * A statement gone stale on a connection runs unnamed there from then on.
 */
export class PreparingClient extends pg.Client {
  readonly #stale = new Set<string>()

  override query(...args: unknown[]): never {
    const [config, values] = args
    const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text
    // An explicit name stays; a Submittable (cursor, stream) is not a plain query.
    const unnamed =
      typeof config === 'string' || !((config as { name?: unknown }).name || typeof (config as { submit?: unknown }).submit === 'function')
    const found = typeof text === 'string' && unnamed && Array.isArray(values) && values.length > 0 ? statementName(text) : undefined
    const name = found && !this.#stale.has(found) ? found : undefined
    if (!name) return (super.query as (...a: unknown[]) => never)(...args)
    args[0] = typeof config === 'string' ? { text, name } : { ...(config as object), name }
    const noteStale = (error: unknown) => {
      if (STALE_STATEMENT.has((error as { code?: string } | null)?.code ?? '')) this.#stale.add(name)
    }
    const callback = args.at(-1)
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        if (error) noteStale(error)
        ;(callback as (e: unknown, r: unknown) => void)(error, result)
      }
      return (super.query as (...a: unknown[]) => never)(...args)
    }
    const pending = (super.query as (...a: unknown[]) => Promise<unknown>)(...args)
    return pending.catch((error: unknown) => {
      noteStale(error)
      throw error
    }) as never
  }
}

/** The connections a pool makes: PreparingClient, or (not preparing) pg's own. */
export const connectionClass = (prepare: boolean): typeof pg.Client => (prepare ? PreparingClient : pg.Client)

/** pg-boss's statements inside our transactions (lib/jobs.ts), named by their text like ours. */
export async function executeByText(db: Queryable, text: string, values: unknown[]): Promise<{ rows: unknown[] }> {
  // Left unnamed, PreparingClient names it like any other (a text without values, never).
  const prepared = db._.session.prepareQuery({ sql: text, params: values }, undefined, undefined, false)
  return (await prepared.execute()) as { rows: unknown[] }
}

/**
 * Raises this transaction's statement timeout above the pool's (the API's) limit, for
 * background work whose statements may rightly take longer: training, sweeps. A bound, not
 * none, so a statement stuck behind a lock still ends some day. SET LOCAL: it ends with the
 * transaction, and the connection goes back to the pool with the API's limit.
 */
export async function allowLongStatements(tx: Tx, minutes = 15): Promise<void> {
  // set_config(…, true) is SET LOCAL with a bind parameter.
  await tx.execute(sql`select set_config('statement_timeout', ${`${minutes}min`}, true)`)
}

const commitHooks = new WeakMap<object, Array<() => void>>()

/**
 * Runs `hook` once `tx` has committed, and never if it rolls back: for what must only
 * follow a change that really happened (log lines, in-process counters).
 */
export function onCommit(tx: Tx, hook: () => void): void {
  const hooks = commitHooks.get(tx)
  if (!hooks) throw new Error('onCommit: not a transaction opened by db.transaction')
  hooks.push(hook)
}

/** db.transaction, running the transaction's commit hooks after COMMIT (a hook that throws is ignored: the change stands). */
function withCommitHooks(db: Db): Db {
  const open = db.transaction.bind(db)
  db.transaction = async (work, config) => {
    const hooks: Array<() => void> = []
    const result = await open(async (tx) => {
      commitHooks.set(tx, hooks)
      return work(tx)
    }, config)
    for (const hook of hooks) {
      try {
        hook()
      } catch {
        // A log line or a counter must not turn a committed change into an error.
      }
    }
    return result
  }
  return db
}
