import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { Unauthorized } from '../lib/errors.ts'
import type { Metrics } from '../lib/metrics.ts'

// Digests have one length whatever was sent, so the comparison is constant-time and never throws.
const digest = (text: string) => createHash('sha256').update(text).digest()
const sameText = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))

/**
 * Times every request into the HTTP histogram (by route template: `/v1/leads/:id`, never
 * an id) and serves GET /metrics in Prometheus text format. METRICS_ENABLED=false leaves
 * both out; METRICS_TOKEN, when set, must come as a bearer token.
 */
export const metricsPlugin = fp(async (app: FastifyInstance, { metrics, config }: { metrics: Metrics; config: Pick<Config, 'metrics'> }) => {
  if (!config.metrics.enabled) return
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)'
    if (route === '/metrics') return
    metrics.httpRequests.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
  const token = config.metrics.token
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (token && !sameText(request.headers.authorization ?? '', `Bearer ${token}`)) {
      throw new Unauthorized('GET /metrics needs the METRICS_TOKEN as a bearer token.')
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
})
