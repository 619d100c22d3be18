import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { CreateTeamBody, ListTeamsQuery, Team, UpdateTeamBody } from './teams.schemas.ts'
import type { TeamsService } from './teams.service.ts'

const tags = ['teams']

export const teamsRoutes: FastifyPluginAsyncTypebox<{ teams: TeamsService }> = async (app, { teams }) => {
  app.post(
    '/v1/teams',
    {
      schema: { tags, summary: 'Create a team', body: CreateTeamBody, response: withProblems({ 201: Team }, [409, 422]) },
    },
    async (request, reply) => reply.status(201).send(await teams.create(request.body)),
  )

  app.get(
    '/v1/teams',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'List teams', querystring: ListTeamsQuery, response: withProblems({ 200: Page(Team) }, [400]) },
    },
    async (request) => teams.list(request.query),
  )

  app.get(
    '/v1/teams/:id',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'Get a team', params: IdParams, response: withProblems({ 200: Team }, [400, 404]) },
    },
    async (request) => teams.get(request.params.id),
  )

  app.patch(
    '/v1/teams/:id',
    {
      schema: {
        tags,
        summary: 'Update a team',
        params: IdParams,
        body: UpdateTeamBody,
        response: withProblems({ 200: Team }, [400, 404, 409, 422]),
      },
    },
    async (request) => teams.update(request.params.id, request.body),
  )

  app.delete(
    '/v1/teams/:id',
    {
      schema: { tags, summary: 'Delete a team', params: IdParams, response: withProblems({ 204: Type.Null() }, [400, 404]) },
    },
    async (request, reply) => {
      await teams.remove(request.params.id)
      return reply.status(204).send(null)
    },
  )
}
