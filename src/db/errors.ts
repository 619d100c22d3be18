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

// The server is going away or not there: SQLSTATE class 08 (connection exception), 57P01–03
// (shutting down, crashed, starting up), 53300 (too many connections); socket errors; and
// node-postgres's own words for a connection that died under a client (it sets no code).
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])
const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
]

/** True when an error (or what drizzle wrapped) means the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_SOCKET.has(code))) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true
  }
  return false
}
