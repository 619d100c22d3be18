import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import type { InboundService } from './inbound.service.ts'
import { CreateSourceBody, CreatedSource, InboundAnswer, ListSourcesQuery, Source, UpdateSourceBody } from './sources.schemas.ts'
import type { SourcesService } from './sources.service.ts'

const INBOUND_BODY_LIMIT = 256 * 1024

export const sourcesRoutes: FastifyPluginAsyncTypebox<{ sources: SourcesService }> = async (app, { sources }) => {
  const tags = ['sources']
  app.post(
    '/v1/sources',
    {
      schema: {
        tags,
        summary: 'Create a form source',
        description: 'The answer carries the signing secret (generated for generic sources): it is never shown again.',
        body: CreateSourceBody,
        response: withProblems({ 201: CreatedSource }, [422]),
      },
    },
    async (request, reply) => reply.status(201).send(await sources.create(request.body)),
  )
  app.get(
    '/v1/sources',
    { schema: { tags, summary: 'List form sources', querystring: ListSourcesQuery, response: withProblems({ 200: Page(Source) }, [400]) } },
    async (request) => sources.list(request.query),
  )
  app.get(
    '/v1/sources/:id',
    { schema: { tags, summary: 'Get a form source', params: IdParams, response: withProblems({ 200: Source }, [400, 404]) } },
    async (request) => sources.get(request.params.id),
  )
  app.patch(
    '/v1/sources/:id',
    {
      schema: {
        tags,
        summary: 'Update a form source (a new secret rotates it at once)',
        params: IdParams,
        body: UpdateSourceBody,
        response: withProblems({ 200: Source }, [400, 404, 422]),
      },
    },
    async (request) => sources.update(request.params.id, request.body),
  )
  app.delete(
    '/v1/sources/:id',
    { schema: { tags, summary: 'Delete a form source', params: IdParams, response: withProblems({ 204: Type.Null() }, [400, 404]) } },
    async (request, reply) => {
      await sources.remove(request.params.id)
      return reply.status(204).send(null)
    },
  )
}

/**
 * POST /v1/inbound/:sourceId. Authenticated by the provider's signature over the raw
 * bytes, never by a JWT, so this plugin keeps the body as bytes (its own parser,
 * encapsulated here) and caps it at 256 KB.
 */
export const inboundRoutes: FastifyPluginAsyncTypebox<{ inbound: InboundService }> = async (app, { inbound }) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: INBOUND_BODY_LIMIT }, (_request, body, done) => done(null, body))
  app.post(
    '/v1/inbound/:id',
    {
      bodyLimit: INBOUND_BODY_LIMIT,
      config: { auth: 'public' },
      schema: {
        tags: ['sources'],
        summary: 'Receive a form submission',
        description:
          "Verified with the source kind's own signature scheme (401 and nothing stored otherwise). A repeated provider submission " +
          'id answers 200 and makes no second lead. A body over 256 KiB is refused (413).',
        security: [],
        params: IdParams,
        response: withProblems({ 201: InboundAnswer, 200: InboundAnswer }, [400, 404, 413, 422]),
      },
    },
    async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]))
      const { created, answer } = await inbound.receive(request.params.id, { method: request.method, path: request.url, headers, rawBody })
      return reply.status(created ? 201 : 200).send(answer)
    },
  )
}
