import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

// Query parameters that carry credentials (accept links, inbound form tokens): never logged.
const SECRET_PARAMS = new Set(['token', 'key', 'secret', 'signature'])

/**
 * The URL as logs may show it: credential-bearing query values replaced. Names are
 * compared decoded, as the router reads them (`%74oken` is `token`).
 */
export function redactQuery(url: string): string {
  const query = url.indexOf('?')
  if (query === -1) return url
  const params = new URLSearchParams(url.slice(query + 1))
  let redacted = false
  for (const name of new Set(params.keys())) {
    if (SECRET_PARAMS.has(name.toLowerCase())) {
      params.set(name, '[redacted]')
      redacted = true
    }
  }
  return redacted ? `${url.slice(0, query)}?${params.toString().replaceAll('%5Bredacted%5D', '[redacted]')}` : url
}

/**
 * One log line per request, written when it completes: request id (as `requestId`),
 * route, status and latency. Fastify's default logs two lines per request.
 */
export class OneLinePerRequest extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url,
      url: redactQuery(request.url),
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request')
  }
}
