import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { Unauthorized } from '../lib/errors.ts'
import type { Metrics } from '../lib/metrics.ts'

// Digests have one length whatever was sent, so the comparison is constant-time and never throws.
const digest = (text: string) => createHash('sha256').update(text).digest()
const sameText = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))

interface MetricsOptions {
  metrics: Metrics
  config: Pick<Config, 'metrics'>
}

/**
 * Times every request into the HTTP histogram (by route template: `/v1/leads/:id`, never
 * an id) and serves GET /metrics in Prometheus text format, unless METRICS_PORT moves it
 * to a listener of its own (`metricsEndpoint` there). METRICS_ENABLED=false leaves both out.
 */
export const metricsPlugin = fp(async (app: FastifyInstance, { metrics, config }: MetricsOptions) => {
  if (!config.metrics.enabled) return
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)'
    if (route === '/metrics') return
    metrics.httpRequests.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
  if (config.metrics.port === undefined) await app.register(metricsEndpoint, { metrics, config })
})

/** GET /metrics; METRICS_TOKEN, when set, must come as a bearer token. */
export const metricsEndpoint = fp(async (app: FastifyInstance, { metrics, config }: MetricsOptions) => {
  const token = config.metrics.token
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (token && !sameText(request.headers.authorization ?? '', `Bearer ${token}`)) {
      throw new Unauthorized('GET /metrics needs the METRICS_TOKEN as a bearer token.')
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
})
