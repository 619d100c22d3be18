import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, withProblems } from '../../lib/schemas.ts'
import { Lead } from '../leads/leads.schemas.ts'
import { OutcomeBody } from './outcomes.schemas.ts'
import type { OutcomesService } from './outcomes.service.ts'

export const outcomesRoutes: FastifyPluginAsyncTypebox<{ outcomes: OutcomesService }> = async (app, { outcomes }) => {
  app.post(
    '/v1/leads/:id/outcome',
    {
      config: { auth: ['admin', 'integration'] },
      schema: {
        tags: ['leads'],
        summary: "Report a deal's result",
        description:
          'How external CRMs report won and lost deals (events lead.won / lead.lost); the conversion model learns from these. The ' +
          'same result again is a no-op; a different one replaces it.',
        params: IdParams,
        body: OutcomeBody,
        response: withProblems({ 200: Lead }, [400, 404, 422]),
      },
    },
    async (request) => outcomes.report(request.params.id, request.body),
  )
}
