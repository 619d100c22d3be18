import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { IdParams, Page, bodyOptional, withProblems } from '../../lib/schemas.ts'
import {
  CreateEndpointBody,
  Endpoint,
  EndpointWithSecret,
  ListEndpointsQuery,
  RotateBody,
  UpdateEndpointBody,
} from './endpoints.schemas.ts'
import type { EndpointsService } from './endpoints.service.ts'

const tags = ['webhooks']

export const endpointsRoutes: FastifyPluginAsyncTypebox<{ endpoints: EndpointsService }> = async (app, { endpoints }) => {
  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Create a webhook endpoint',
        description:
          "The answer carries the endpoint's `whsec_` secret; it is never shown again. URLs that resolve to loopback, private, " +
          'link-local, CGNAT, multicast or documentation addresses are refused (422) unless WEBHOOK_ALLOW_PRIVATE=true.',
        body: CreateEndpointBody,
        response: withProblems({ 201: EndpointWithSecret }, [422]),
      },
    },
    async (request, reply) => reply.status(201).send(await endpoints.create(request.body)),
  )

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints',
        querystring: ListEndpointsQuery,
        response: withProblems({ 200: Page(Endpoint) }, [400]),
      },
    },
    async (request) => endpoints.list(request.query),
  )

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: { tags, summary: 'Get a webhook endpoint', params: IdParams, response: withProblems({ 200: Endpoint }, [400, 404]) },
    },
    async (request) => endpoints.get(request.params.id),
  )

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Update a webhook endpoint',
        params: IdParams,
        body: UpdateEndpointBody,
        response: withProblems({ 200: Endpoint }, [400, 404, 422]),
      },
    },
    async (request) => endpoints.update(request.params.id, request.body),
  )

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: { tags, summary: 'Delete a webhook endpoint', params: IdParams, response: withProblems({ 204: Type.Null() }, [400, 404]) },
    },
    async (request, reply) => {
      await endpoints.remove(request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      // The body is optional: no body means the default grace period.
      preValidation: bodyOptional,
      schema: {
        tags,
        summary: 'Rotate the signing secret',
        description:
          'Answers the new secret (shown only now). For `graceSeconds` (default 24 h) deliveries carry a signature with each secret, ' +
          'so receivers can switch without missing one.',
        params: IdParams,
        body: RotateBody,
        response: withProblems({ 200: EndpointWithSecret }, [400, 404, 422]),
      },
    },
    async (request) => endpoints.rotateSecret(request.params.id, request.body?.graceSeconds),
  )
}
