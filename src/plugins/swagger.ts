import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ProblemSchema } from '../lib/schemas.ts'
import { webhooksSection } from '../modules/events/event-payloads.ts'

/** OpenAPI 3.1 generated from the route schemas: /openapi.json, and pretty docs at /docs. */
export const swaggerPlugin = fp(async (app: FastifyInstance, { version }: { version: string }) => {
  app.addSchema(ProblemSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Baton API',
        version,
        description:
          'Headless lead handoff: ingest, qualify, route, accept within a deadline, signed webhooks. ' +
          'Every error is RFC 9457 problem+json; lists paginate with `limit` and an opaque `cursor`.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearerAuth: [] }],
      // Plain JSON built from the TypeBox schemas; swagger's OpenAPI typings cannot see its shape.
      webhooks: webhooksSection() as Record<string, never>,
      tags: [
        { name: 'reps', description: 'Sales reps, their hours, capacity and attributes' },
        { name: 'teams', description: 'Teams of reps and how leads are shared among them' },
        { name: 'accounts', description: 'Accounts and their domains, for lead-to-account matching' },
        { name: 'leads', description: 'Leads in: submitted, deduplicated, scored, with their timeline' },
        { name: 'sources', description: 'Form tools posting submissions: sources and the inbound endpoint' },
        { name: 'events', description: 'The ordered event feed, for integrators who poll' },
        { name: 'scoring', description: 'How leads are scored, qualified and given an intent tier' },
        { name: 'webhooks', description: 'Webhook endpoints and deliveries; under `webhooks`, what each event type posts' },
        { name: 'metrics', description: 'Handoff analytics: the funnel, speed to accept and to contact, SLA breaches' },
        { name: 'operations', description: 'Health and readiness' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  // The docs UI registers its own routes (assets, redirects): mark them public as they are added.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, auth: 'public' }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, async () => app.swagger())
})
