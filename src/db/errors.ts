/**
 * PostgreSQL errors are told apart by SQLSTATE, never by message text
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
interface PgError {
  code?: string
  constraint?: string
}

const sqlState = (error: unknown): PgError =>
  typeof error === 'object' && error !== null ? (error) : {}

/** 23505: a unique index refused the row; `constraint` narrows it to one index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = sqlState(cause(error))
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint)
}

// drizzle wraps driver errors in a DrizzleQueryError whose `cause` is the pg error.
function cause(error: unknown): unknown {
  const inner = (error as { cause?: unknown } | null)?.cause
  return inner && typeof inner === 'object' && 'code' in inner ? inner : error
}
