import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withProblems } from '../../lib/schemas.ts'
import { ScoringModelBody } from '../../db/schema/json/scoring-model.ts'
import { ScoringModelVersion } from './scoring.schemas.ts'
import type { ScoringService } from './scoring.service.ts'

const tags = ['scoring']

export const scoringRoutes: FastifyPluginAsyncTypebox<{ scoring: ScoringService }> = async (app, { scoring }) => {
  app.get(
    '/v1/scoring',
    {
      schema: { tags, summary: 'The live scoring model', response: withProblems({ 200: ScoringModelVersion }, []) },
    },
    async () => scoring.current(),
  )

  app.put(
    '/v1/scoring',
    {
      schema: {
        tags,
        summary: 'Publish a new scoring model version',
        description:
          'Every condition is validated first (422 naming the JSON pointer of each bad node); the model is then published atomically ' +
          'as the next version and scores every lead from then on.',
        body: ScoringModelBody,
        response: withProblems({ 200: ScoringModelVersion }, [422]),
      },
    },
    async (request) => scoring.publish(request.body),
  )
}
