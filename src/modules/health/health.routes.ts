import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { HealthService } from './health.service.ts'

const Status = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.String()]))),
})

/** /healthz: the process is up. /readyz: the database and the job queue answer. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  const common = { tags: ['operations'], security: [] }

  app.get('/healthz', { config: { auth: 'public' }, schema: { ...common, response: { 200: Status } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get(
    '/readyz',
    { config: { auth: 'public' }, schema: { ...common, response: { 200: Status, 503: Status } } },
    async (request, reply) => {
      const checks = await health.readiness((check, error) => request.log.warn({ err: error, check }, 'readiness check failed'))
      const ready = Object.values(checks).every((value) => value === 'ok')
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks })
    },
  )
}
