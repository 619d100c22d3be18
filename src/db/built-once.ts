import { sql, type Column, type SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type { Queryable } from './client.ts'

// Drizzle builds a statement's SQL from its parts on every call, testing every part's class
// as it goes: a sixth of the service thread in the deadline part of npm run bench (CPU
// profile). The statements every lead and every expiry run are built once here, at their
// first run, with sql.placeholder() where runs differ; later runs go straight to the
// session's prepareQuery (as executeByText in client.ts does) with the values.

type Built = { sql: string; params: unknown[] }
type Run<Row> = (db: Queryable, values: Record<string, unknown>) => Promise<Row[]>

/** A drizzle query built at its first run. `returns`: the flat selection it returns, mapped as drizzle maps it. */
export function builtOnce<Row>(build: (db: Queryable) => { toSQL(): Built }, returns: Record<string, Column | SQL>): Run<Row> {
  const fields = Object.entries(returns).map(([key, field]) => ({ path: [key], field }))
  let query: Built | undefined
  return async (db, values) => {
    query ??= build(db).toSQL()
    const prepared = db._.session.prepareQuery(query, fields as never, undefined, true)
    return (await prepared.execute(values)) as Row[]
  }
}

const dialect = new PgDialect()

/** The same for a statement written as sql`…`: its rows as PostgreSQL returns them. */
export function rawOnce<Row>(build: () => SQL): Run<Row> {
  let query: Built | undefined
  return async (db, values) => {
    query ??= dialect.sqlToQuery(build())
    const prepared = db._.session.prepareQuery(query, undefined, undefined, false)
    return ((await prepared.execute(values)) as { rows: Row[] }).rows
  }
}

/**
 * An insert or update whose columns vary by caller: built once per set of columns given
 * (each call site gives its own few), each a placeholder. Values are encoded here, as
 * drizzle encodes them, except null: drizzle's encoders fail on a null placeholder value.
 * Columns left out keep what the statement does without them (their default, on insert).
 */
export function builtPerShape<Row>(
  columns: Record<string, Column>,
  build: (db: Queryable, given: Record<string, SQL>) => { toSQL(): Built },
  returns: Record<string, Column | SQL>,
) {
  const shapes = new Map<string, Run<Row>>()
  return (db: Queryable, given: Record<string, unknown>, values: Record<string, unknown> = {}): Promise<Row[]> => {
    const keys = Object.keys(given).filter((key) => given[key] !== undefined)
    const shape = keys.join(',')
    let run = shapes.get(shape)
    if (!run) {
      run = builtOnce<Row>((q) => build(q, Object.fromEntries(keys.map((key) => [key, sql`${sql.placeholder(key)}`]))), returns)
      shapes.set(shape, run)
    }
    const filled: Record<string, unknown> = { ...values }
    for (const key of keys) filled[key] = given[key] === null ? null : columns[key]!.mapToDriverValue(given[key])
    return run(db, filled)
  }
}
