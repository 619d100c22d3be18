import pino, { type Logger } from 'pino'

/**
 * The one pino logger of a process. Credentials never reach the log, and neither do a
 * lead's personal details should an object carrying them ever be logged (lines name ids).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'headers.authorization', '*.authorization', '*.password', '*.secret', '*.secrets', '*.token',
        '*.email', '*.phone', '*.firstName', '*.lastName',
      ],
      censor: '[redacted]',
    },
  })
}
