import pino, { type Logger } from 'pino'

/** The one pino logger of a process. Credentials never reach the log. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.secret', '*.token'],
      censor: '[redacted]',
    },
  })
}
