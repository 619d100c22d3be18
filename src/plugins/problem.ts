import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { FieldError } from '../lib/errors.ts'
import { isDatabaseUnavailable, isPoolExhausted, isStatementCancelled } from '../db/errors.ts'
import { newId } from '../lib/ids.ts'
import { escapePointer } from '../lib/json-pointer.ts'

/** RFC 9457 problem details, plus Baton's stable `code` and the request id. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: string
  requestId: string
  errors?: FieldError[]
  [member: string]: unknown
}

// What a 503 during a database outage asks the client to wait before retrying.
const DATABASE_RETRY_AFTER_SECONDS = 2

// Fastify's own 4xx errors, renamed to codes a client can rely on across versions.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_content_length',
}

// Fastify's wording for these is terse; say what to do instead.
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Send the request body as JSON, with Content-Type: application/json.',
}

const PART: Record<string, FieldError['in']> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

type ErrorWithExtras = FastifyError & {
  validation?: AjvError[]
  validationContext?: string
  errors?: FieldError[]
  problemMembers?: Record<string, unknown>
}

interface AjvError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

/** Every 4xx/5xx leaves as application/problem+json through this one handler. */
export const problemPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: ErrorWithExtras, request, reply) => {
    if (error.validation) return sendProblem(request, reply, validationProblem(error))

    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    const overload = status === 500 ? databaseOverload(error) : undefined
    if (overload) {
      // Too much at once (every connection busy, or a statement past its limit), not a bug: the
      // client should retry later. A cancelled statement rolled its transaction back.
      request.log.warn({ err: error }, overload.code)
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      return sendProblem(request, reply, { status: 503, ...overload })
    }
    if (status === 500 && isDatabaseUnavailable(error)) {
      // A restart or failover, not a bug: the client should retry. A commit cut off mid-answer
      // may have landed, which is what Idempotency-Key (and dedupe by email) are for.
      request.log.warn({ err: error }, 'database unavailable')
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      return sendProblem(request, reply, {
        status: 503,
        code: 'database_unavailable',
        detail:
          'The database cannot be reached for a moment (restarting or failing over). Retry shortly, with the same Idempotency-Key ' +
          'for a write.',
      })
    }
    if (status === 500) {
      request.log.error({ err: error }, 'unhandled error')
      return sendProblem(request, reply, {
        status,
        code: 'internal_error',
        detail: 'An unexpected error occurred. Quote the requestId when reporting it.',
      })
    }
    const code = FASTIFY_CODES[error.code] ?? error.code.replace(/^(BATON|FST_ERR)_/, '').toLowerCase()
    return sendProblem(request, reply, {
      status,
      code,
      detail: error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? bodyTooLarge(request) : (FASTIFY_DETAILS[error.code] ?? error.message),
      ...(error.errors ? { errors: error.errors } : {}),
      ...error.problemMembers,
    })
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      status: 404,
      code: 'route_not_found',
      detail: `There is no route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  )
})

/** The 503 for a database that is there but overloaded: DATABASE_POOL_TIMEOUT_MS or DATABASE_STATEMENT_TIMEOUT_MS ran out. */
function databaseOverload(error: unknown): { code: string; detail: string } | undefined {
  if (isPoolExhausted(error)) {
    return {
      code: 'database_busy',
      detail:
        'Every database connection stayed busy for longer than this API waits for one (DATABASE_POOL_TIMEOUT_MS). Retry shortly, ' +
        'with the same Idempotency-Key for a write.',
    }
  }
  if (isStatementCancelled(error)) {
    return {
      code: 'statement_timeout',
      detail:
        'A database statement ran longer than this API allows (DATABASE_STATEMENT_TIMEOUT_MS) and was cancelled, its transaction ' +
        'rolled back. Retry shortly, with the same Idempotency-Key for a write.',
    }
  }
  return undefined
}

/**
 * Fastify's `frameworkErrors`: a URL whose percent-encoding is broken (400) or a path
 * parameter past the router's length limit (414) fails before any route is chosen.
 */
export function frameworkProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  // No route, so no route hooks: the headers the onSend hook gives every other answer.
  reply.header('x-request-id', request.id)
  reply.header('x-content-type-options', 'nosniff')
  return sendProblem(
    request,
    reply,
    tooLong
      ? { status: 414, code: 'path_too_long', detail: 'A path parameter is longer than any id this API uses.' }
      : { status: 400, code: 'bad_url', detail: 'The URL is not valid: a percent-encoded part does not decode to UTF-8.' },
  )
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (headers over 16 KB,
 * a request that timed out, garbage) never becomes a request, so this answers on the
 * socket itself, still as problem+json with a request id.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers (or URL) are larger than the 16 KB this API accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request was not received in time.']
        : [400, 'bad_request', 'The request is not valid HTTP/1.1.']
  const requestId = newId()
  const body = JSON.stringify({
    type: `urn:baton:problem:${code}`,
    title: STATUS_CODES[status],
    status,
    detail,
    instance: '/',
    code,
    requestId,
  })
  // As Node's own fallback: never write into an answer already under way (a timeout mid-response).
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !answering?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ` +
        `${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: ` +
        `close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

const KIB = 1024
const MIB = 1024 * KIB

/** The limit of the route that refused the body (the inbound route's is smaller than the app's). */
function bodyTooLarge(request: FastifyRequest): string {
  const limit = request.routeOptions.bodyLimit
  const shown = limit % MIB === 0 ? `${limit / MIB} MiB` : limit % KIB === 0 ? `${limit / KIB} KiB` : `${limit} bytes`
  return `The request body is larger than the ${shown} this route accepts.`
}

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: { status: number; code: string; detail: string; errors?: FieldError[]; [member: string]: unknown },
) {
  const { status, code, detail, errors, ...members } = problem
  const body: Problem = {
    type: `urn:baton:problem:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0] ?? '/',
    code,
    requestId: String(request.id),
    ...(errors ? { errors } : {}),
    ...members,
  }
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="baton"')
  return reply.status(problem.status).type('application/problem+json').send(body)
}

/**
 * Body errors are 422 (well-formed JSON that breaks the contract); query, path and
 * header errors are 400. Each Ajv error becomes a JSON Pointer to the offending member.
 */
function validationProblem(error: ErrorWithExtras) {
  const part = PART[error.validationContext ?? 'body'] ?? 'body'
  const errors = collapseUnions(error.validation ?? []).map((e) => toFieldError(e, part))
  const unique = [...new Map(errors.map((e) => [`${e.pointer}\u0000${e.detail}`, e])).values()]
  const where = part === 'body' ? 'The request body' : `The request ${part === 'path' ? 'path' : part}`
  return {
    status: part === 'body' ? 422 : 400,
    code: 'validation_failed',
    detail: `${where} is invalid: ${unique.map((e) => `${e.pointer || '(root)'} ${e.detail}`).join('; ')}`,
    errors: unique,
  }
}

/**
 * A value that fits none of a union's branches makes Ajv report every branch's
 * complaint. When exactly one branch has the value's type (an object given for
 * `object | null`), that branch's own errors are the useful ones; otherwise they fold
 * into one: "must be integer or null".
 */
const TAGS = ['type', 'kind']

function collapseUnions(errors: AjvError[]): AjvError[] {
  const union = errors.find((e) => e.keyword === 'anyOf')
  if (!union) return errors
  const prefix = `${union.schemaPath}/`
  const inside = errors.filter((e) => e.schemaPath.startsWith(prefix))
  const branches = Map.groupBy(inside, (e) => e.schemaPath.slice(prefix.length).split('/')[0])
  // A branch is the wrong one when the value is not its type, or names another `type` or
  // `kind` (the tags of Baton's tagged unions: a team target is not a rep target).
  const wrongType = (e: AjvError) =>
    (e.instancePath === union.instancePath && (e.keyword === 'type' || e.keyword === 'const')) ||
    // A tag that is itself a union of literals reaches here already folded ('union').
    ((e.keyword === 'const' || e.keyword === 'union') && TAGS.some((tag) => e.instancePath === `${union.instancePath}/${tag}`))
  const fitting = [...branches.values()].filter((branch) => !branch.some(wrongType))
  const expected = inside
    .filter(wrongType)
    .map((e) => (e.keyword === 'type' ? String(e.params.type) : JSON.stringify(e.params.allowedValue)))
  const replacement =
    fitting.length === 1
      ? fitting[0]!
      : [
          {
            ...union,
            keyword: 'union',
            message: fitting.length === 0 ? `must be ${[...new Set(expected)].join(' or ')}` : 'does not match any allowed shape',
          },
        ]
  const rest = errors.filter((e) => e !== union && !inside.includes(e))
  return collapseUnions([...rest, ...replacement])
}

function toFieldError(e: AjvError, part: FieldError['in']): FieldError {
  const { instancePath, keyword, params } = e
  if (keyword === 'required') {
    return { in: part, pointer: `${instancePath}/${escapePointer(String(params.missingProperty))}`, detail: 'is required' }
  }
  if (keyword === 'additionalProperties') {
    return { in: part, pointer: `${instancePath}/${escapePointer(String(params.additionalProperty))}`, detail: 'is not a known property' }
  }
  return { in: part, pointer: instancePath, detail: e.message ?? keyword }
}
