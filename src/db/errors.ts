/**
 * PostgreSQL errors are told apart by SQLSTATE, never by message text
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
interface PgError {
  code?: string
  constraint?: string
}

const sqlState = (error: unknown): PgError => (typeof error === 'object' && error !== null ? error : {})

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

// pg-pool's wait for a free connection ran out (connectionTimeoutMillis, DATABASE_POOL_TIMEOUT_MS).
// It sets no code, so its message is all there is to tell it by.
const POOL_EXHAUSTED_MESSAGE = 'timeout exceeded when trying to connect'

// The server is going away or not there: SQLSTATE class 08 (connection exception), 57P01–03
// (shutting down, crashed, starting up), 53300 (too many connections); socket errors; and
// node-postgres's own words for a connection that died under a client (it sets no code).
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])
const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  POOL_EXHAUSTED_MESSAGE,
]

/** The error and what it wraps (drizzle's `cause`), outermost first, a few levels deep. */
function* chain(error: unknown): Generator<{ code?: unknown; message?: unknown }> {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) yield e
}

/**
 * 57014: the server cancelled the statement, because it ran past `statement_timeout`
 * (DATABASE_STATEMENT_TIMEOUT_MS) or an operator cancelled it; either way its transaction
 * rolled back.
 */
export function isStatementCancelled(error: unknown): boolean {
  for (const e of chain(error)) if (e.code === '57014') return true
  return false
}

/** Every pooled connection stayed busy for longer than the pool timeout: overload, not an outage. */
export function isPoolExhausted(error: unknown): boolean {
  for (const e of chain(error)) if (typeof e.message === 'string' && e.message.includes(POOL_EXHAUSTED_MESSAGE)) return true
  return false
}

/** True when an error (or what drizzle wrapped) means the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const { code, message } of chain(error)) {
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_SOCKET.has(code))) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true
  }
  return false
}
