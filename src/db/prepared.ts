import { Column, is, Placeholder, SQL, sql } from 'drizzle-orm'
import { PgDialect, type PgColumn } from 'drizzle-orm/pg-core'
import type { Queryable, Tx } from './client.ts'

// The vocabulary of hot statements, for repos: `prepared.query` (a drizzle query),
// `prepared.sql` (a sql`…` statement) and `prepared.write` (an insert or update whose columns
// vary by caller). Each is built once, at its first run, with sql.placeholder() where runs
// differ; later runs go straight to the session's prepareQuery (as executeByText in
// client.ts does) with the values. Drizzle otherwise rebuilds a statement's SQL from its
// parts on every call, testing each part's class as it goes. Cold statements use drizzle's
// builder as usual.

type Built = { sql: string; params: unknown[] }
type Run<Row> = (db: Queryable, values: Record<string, unknown>) => Promise<Row[]>
type Field = PgColumn | SQL
/** Columns by the keys rows have them under; one level of groups for joins ({ delivery: {...}, event: {...} }). */
export type Selection = Record<string, Field | Record<string, Field>>
type FlatSelection = Record<string, Field>

const isField = (value: unknown): value is Field => is(value, Column) || is(value, SQL)

/**
 * A drizzle query built at its first run. `returns` is the selection it selects or returns,
 * handed to `build` so the query and the row mapping (by position) use the same one; a group
 * of columns comes back as an object under its key, in the order drizzle selects them. Groups
 * are for inner joins: a left join's missing row would come back as an object of nulls.
 */
function preparedQuery<Row, S extends Selection = FlatSelection>(
  returns: S,
  build: (db: Queryable, returns: S) => { toSQL(): Built },
): Run<Row> {
  const fields = Object.entries(returns).flatMap(([key, field]) =>
    isField(field) ? [{ path: [key], field }] : Object.entries(field).map(([inner, column]) => ({ path: [key, inner], field: column })),
  )
  let query: Built | undefined
  return async (db, values) => {
    query ??= build(db, returns).toSQL()
    const prepared = db._.session.prepareQuery(query, fields, undefined, true)
    return (await prepared.execute(values)) as Row[]
  }
}

const dialect = new PgDialect()

/**
 * The same for a statement written as sql`…`: its rows as drizzle's raw execute gives them
 * (column names as written; timestamps, dates and intervals as strings, not Dates).
 */
function preparedSql<Row>(build: () => SQL): Run<Row> {
  let query: Built | undefined
  return async (db, values) => {
    query ??= dialect.sqlToQuery(build())
    const prepared = db._.session.prepareQuery(query, undefined, undefined, false)
    return ((await prepared.execute(values)) as { rows: Row[] }).rows
  }
}

// Call sites give a dozen shapes; past this many, a new shape is built on every call instead
// of kept, so code that passes arbitrary column sets cannot grow the cache without bound.
const MAX_SHAPES = 64

/**
 * An insert or update whose columns vary by caller: built once per set of columns given
 * (each call site gives its own few), each a placeholder named after its column. Values are
 * encoded here, as drizzle encodes them, except null: drizzle's encoders fail on a null
 * placeholder value. Columns left out keep what the statement does without them (their
 * default, on insert). `values`: the statement's other placeholders, never a column's name.
 */
function preparedWrite<Row>(
  columns: Record<string, Column>,
  returns: FlatSelection,
  build: (db: Queryable, given: Record<string, SQL>, returns: FlatSelection) => { toSQL(): Built },
) {
  const shapes = new Map<string, Run<Row>>()
  return async (db: Queryable, given: Record<string, unknown>, values: Record<string, unknown> = {}): Promise<Row[]> => {
    const keys = Object.keys(given)
      .filter((key) => given[key] !== undefined)
      .sort()
    const filled: Record<string, unknown> = { ...values }
    for (const key of keys) {
      const column = columns[key]
      const value = given[key]
      if (!column || key in values)
        throw new Error(`prepared.write: "${key}" is ${column ? 'also a placeholder of the statement' : 'not a column'}`)
      if (is(value, SQL) || is(value, Placeholder)) throw new Error(`prepared.write: "${key}" must be a value, not SQL`)
      filled[key] = value === null ? null : column.mapToDriverValue(value)
    }
    const shape = keys.join(',')
    let run = shapes.get(shape)
    if (!run) {
      run = preparedQuery<Row>(returns, (q, r) => build(q, Object.fromEntries(keys.map((key) => [key, sql`${sql.placeholder(key)}`])), r))
      if (shapes.size < MAX_SHAPES) shapes.set(shape, run)
    }
    return run(db, filled)
  }
}

/** Repos' hot statements, each built once: see the top of this file. */
export const prepared = { query: preparedQuery, sql: preparedSql, write: preparedWrite }

const genericPlans = preparedSql(() => sql`select set_config('plan_cache_mode', 'force_generic_plan', true)`)

/**
 * From here to the end of the transaction, prepared statements run with their generic plan.
 * For transactions whose statements are all prepared with every value a parameter (an
 * ingestion, an expiry): PostgreSQL would otherwise plan the first runs of each one for its
 * values, and planning the candidates query cost more than running it (migration 0017).
 * Transaction-local: nothing after the transaction changes.
 */
export async function useGenericPlans(tx: Tx): Promise<void> {
  await genericPlans(tx, {})
}
