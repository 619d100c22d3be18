import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

// Query parameters that carry credentials (accept links, inbound form tokens): never logged.
const SECRET_QUERY = /([?&](?:token|key|secret|signature)=)[^&#]*/gi

/** The URL as logs may show it: credential-bearing query values replaced. */
export const redactQuery = (url: string) => url.replace(SECRET_QUERY, '$1[redacted]')

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
