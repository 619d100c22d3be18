import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, withProblems } from '../../lib/schemas.ts'
import { Lead } from '../leads/leads.schemas.ts'
import { ActivityAnswer, ActivityBody, CloseBody, ConvertBody } from './activities.schemas.ts'
import type { ActivitiesService } from './activities.service.ts'

const tags = ['leads']
// Reps act on leads they own; an integration (a CRM syncing back) and admins on any.
const actors = { auth: ['admin', 'integration', 'rep'] } as const

export const activitiesRoutes: FastifyPluginAsyncTypebox<{ activities: ActivitiesService }> = async (app, { activities }) => {
  app.post(
    '/v1/leads/:id/activities',
    {
      config: actors,
      schema: {
        tags,
        summary: 'Log a call, email, meeting or note',
        description:
          'The first call, email or meeting on an accepted lead is its first contact: the lead becomes contacted (lead.contacted) ' +
          'and its first-contact task completes. A contact on a lead nobody has accepted yet is 409.',
        params: IdParams,
        body: ActivityBody,
        response: withProblems({ 201: ActivityAnswer }, [400, 404, 409, 422]),
      },
    },
    async (request, reply) => reply.status(201).send(await activities.log(request.params.id, request.body, request.principal!)),
  )

  app.post(
    '/v1/leads/:id/convert',
    {
      config: actors,
      schema: {
        tags,
        summary: 'Record the opportunity an accepted lead became',
        params: IdParams,
        body: ConvertBody,
        response: withProblems({ 200: Lead }, [400, 404, 409, 422]),
      },
    },
    async (request) => activities.convert(request.params.id, request.body, request.principal!),
  )

  app.post(
    '/v1/leads/:id/close',
    {
      config: actors,
      schema: {
        tags,
        summary: 'Close a lead without an opportunity',
        description: 'A handoff still waiting for an answer is withdrawn (cancelled) and open tasks are cancelled.',
        params: IdParams,
        body: CloseBody,
        response: withProblems({ 200: Lead }, [400, 404, 409, 422]),
      },
    },
    async (request) => activities.close(request.params.id, request.body.reason, request.principal!),
  )
}
