import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { DeclineBody, Handoff, HandoffWithTrace, ListHandoffsQuery } from './handoffs.schemas.ts'
import type { HandoffsService } from './handoffs.service.ts'

const tags = ['handoffs']
const everyone = { auth: ['admin', 'integration', 'rep'] } as const
const actors = { auth: ['admin', 'rep'] } as const

export const handoffsRoutes: FastifyPluginAsyncTypebox<{ handoffs: HandoffsService }> = async (app, { handoffs }) => {
  app.get(
    '/v1/handoffs',
    {
      config: everyone,
      schema: {
        tags,
        summary: "Handoffs, newest first: a rep's inbox",
        description: 'A rep token sees only its own handoffs.',
        querystring: ListHandoffsQuery,
        response: withProblems({ 200: Page(Handoff) }, [400]),
      },
    },
    async (request) => handoffs.list(request.query, request.principal!),
  )

  app.get(
    '/v1/handoffs/:id',
    {
      config: everyone,
      schema: {
        tags,
        summary: 'A handoff, with the routing trace that explains it',
        description:
          "A rep token reads only its own handoffs (another rep's is 404, as if it did not exist) and only its own part of the " +
          "trace: every rule tried with its outcome, and its own eligibility and load, but no other rep's id, name, load or reason. " +
          'Admins and integrations see the whole trace.',
        params: IdParams,
        response: withProblems({ 200: HandoffWithTrace }, [400, 404]),
      },
    },
    async (request) => handoffs.get(request.params.id, request.principal!),
  )

  app.post(
    '/v1/handoffs/:id/accept',
    {
      config: actors,
      schema: {
        tags,
        summary: "Accept a handoff: the rep becomes the lead's owner",
        description:
          "Only the handoff's rep (or an admin) may accept: another rep's handoff is 404, an integration token 403; after the " +
          'deadline or a decline it is 409. Accepting again is answered the same, with no second event.',
        params: IdParams,
        response: withProblems({ 200: Handoff }, [400, 404, 409]),
      },
    },
    async (request) => handoffs.accept(request.params.id, request.principal!),
  )

  app.post(
    '/v1/handoffs/:id/decline',
    {
      config: actors,
      schema: {
        tags,
        summary: 'Decline a handoff: the lead moves on at once',
        description:
          "The lead goes to the next eligible rep who has not had it, or is escalated after the last attempt. Another rep's handoff " +
          'is 404.',
        params: IdParams,
        body: DeclineBody,
        response: withProblems({ 200: Handoff }, [400, 404, 409, 422]),
      },
    },
    async (request) => handoffs.decline(request.params.id, request.principal!, request.body.reason),
  )
}
