import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { Delivery, ListDeliveriesQuery, ReplayAnswer, ReplayBody } from './deliveries.schemas.ts'
import type { DeliveriesService } from './deliveries.service.ts'

const tags = ['webhooks']

export const deliveriesRoutes: FastifyPluginAsyncTypebox<{ deliveries: DeliveriesService }> = async (app, { deliveries }) => {
  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: "List an endpoint's deliveries",
        description: 'Newest first, each with every attempt: time, status code, latency, error class and the first 4 KB of the answer.',
        params: IdParams,
        querystring: ListDeliveriesQuery,
        response: withProblems({ 200: Page(Delivery) }, [400, 404]),
      },
    },
    async (request) => deliveries.list(request.params.id, request.query),
  )

  app.get(
    '/v1/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'Get a delivery with its attempts',
        params: IdParams,
        response: withProblems({ 200: Delivery }, [400, 404]),
      },
    },
    async (request) => deliveries.get(request.params.id),
  )

  app.post(
    '/v1/webhook-deliveries/:id/retry',
    {
      schema: {
        tags,
        summary: 'Retry a delivery now',
        description:
          "Queues one attempt at once, outside the automatic schedule (a pending delivery's waiting attempt is replaced by it). 409 " +
          'when the endpoint is disabled.',
        params: IdParams,
        response: withProblems({ 202: Delivery }, [400, 404, 409]),
      },
    },
    async (request, reply) => reply.status(202).send(await deliveries.retry(request.params.id)),
  )

  app.post(
    '/v1/webhook-endpoints/:id/replay',
    {
      schema: {
        tags,
        summary: 'Replay deliveries of a time window',
        description:
          "Re-sends the endpoint's finished deliveries made in [since, until) as new deliveries of the same events, with the same " +
          'webhook-id, so receivers can dedupe. At most 10,000 at once.',
        params: IdParams,
        body: ReplayBody,
        response: withProblems({ 202: ReplayAnswer }, [400, 404, 409, 422]),
      },
    },
    async (request, reply) => reply.status(202).send(await deliveries.replay(request.params.id, request.body)),
  )
}
