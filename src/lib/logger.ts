import pino, { type Logger } from 'pino'

/**
 * The one pino logger of a process. Credentials never reach the log, and neither do a
 * lead's personal details should an object carrying them ever be logged (lines name ids).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    serializers: { err: errorWithoutValues },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.authorization',
        '*.password',
        '*.secret',
        '*.secrets',
        '*.token',
        '*.email',
        '*.phone',
        '*.firstName',
        '*.lastName',
      ],
      censor: '[redacted]',
    },
  })
}

// A failed query's error carries the statement's values (drizzle: `params`, and in its
// message and stack "params: …"; PostgreSQL: `detail`, e.g. "Key (email)=(…) already
// exists"). Those values are leads' emails and names: the log keeps the SQL, not them.
const PARAMS_IN_TEXT = /\nparams: [\s\S]*?(?=\n\s+at |$)/g

/** pino's error serializer, with query values removed at every level of `cause`. */
export function errorWithoutValues(error: Error): Record<string, unknown> {
  return scrub(pino.stdSerializers.err(error))
}

function scrub(serialized: Record<string, unknown>): Record<string, unknown> {
  const { params: _params, detail: _detail, ...rest } = serialized
  for (const key of ['message', 'stack'] as const) {
    const text = rest[key]
    if (typeof text === 'string') rest[key] = text.replace(PARAMS_IN_TEXT, '\nparams: [redacted]')
  }
  if (rest.cause && typeof rest.cause === 'object') rest.cause = scrub(rest.cause as Record<string, unknown>)
  return rest
}
