import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bodyOptional, withProblems } from '../../lib/schemas.ts'
import { PredictiveModel, PredictiveState, TrainBody } from './predictive.schemas.ts'
import type { PredictiveService } from './predictive.service.ts'

const tags = ['scoring']

export const predictiveRoutes: FastifyPluginAsyncTypebox<{ predictive: PredictiveService }> = async (app, { predictive }) => {
  app.get(
    '/v1/predictive',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'The live conversion model', response: withProblems({ 200: PredictiveState }, []) },
    },
    async () => predictive.live(),
  )

  app.post(
    '/v1/predictive/train',
    {
      // No body: the default seed.
      preValidation: bodyOptional,
      schema: {
        tags,
        summary: 'Train the conversion model now',
        description:
          'Learns from every lead with a reported outcome, measures AUC on a held-out fifth, and publishes the next version (leads ' +
          'scored from then on carry its prediction). Fewer outcomes than PREDICTIVE_MIN_SAMPLES: 422, and no model.',
        body: TrainBody,
        response: withProblems({ 200: PredictiveModel }, [400, 422]),
      },
    },
    async (request) => predictive.train(request.body ?? {}),
  )
}
