import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, withProblems } from '../../lib/schemas.ts'
import { HandoffWithTrace } from './handoffs.schemas.ts'
import type { HandoffsService } from './handoffs.service.ts'

const tags = ['handoffs']

export const handoffsRoutes: FastifyPluginAsyncTypebox<{ handoffs: HandoffsService }> = async (app, { handoffs }) => {
  app.get('/v1/handoffs/:id', {
    config: { auth: ['admin', 'integration'] },
    schema: {
      tags,
      summary: 'A handoff, with the routing trace that explains it',
      params: IdParams,
      response: withProblems({ 200: HandoffWithTrace }, [404]),
    },
  }, async (request) => handoffs.get(request.params.id))
}
