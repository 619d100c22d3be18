import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { Account, CreateAccountBody, ListAccountsQuery, UpdateAccountBody } from './accounts.schemas.ts'
import type { AccountsService } from './accounts.service.ts'

const tags = ['accounts']

export const accountsRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountsService }> = async (app, { accounts }) => {
  app.post(
    '/v1/accounts',
    {
      schema: { tags, summary: 'Create an account', body: CreateAccountBody, response: withProblems({ 201: Account }, [409, 422]) },
    },
    async (request, reply) => reply.status(201).send(await accounts.create(request.body)),
  )

  app.get(
    '/v1/accounts',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'List accounts', querystring: ListAccountsQuery, response: withProblems({ 200: Page(Account) }, [400]) },
    },
    async (request) => accounts.list(request.query),
  )

  app.get(
    '/v1/accounts/:id',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'Get an account', params: IdParams, response: withProblems({ 200: Account }, [400, 404]) },
    },
    async (request) => accounts.get(request.params.id),
  )

  app.patch(
    '/v1/accounts/:id',
    {
      schema: {
        tags,
        summary: 'Update an account',
        description: '`domains`, when given, replaces the whole list',
        params: IdParams,
        body: UpdateAccountBody,
        response: withProblems({ 200: Account }, [400, 404, 409, 422]),
      },
    },
    async (request) => accounts.update(request.params.id, request.body),
  )

  app.delete(
    '/v1/accounts/:id',
    {
      schema: { tags, summary: 'Delete an account', params: IdParams, response: withProblems({ 204: Type.Null() }, [400, 404]) },
    },
    async (request, reply) => {
      await accounts.remove(request.params.id)
      return reply.status(204).send(null)
    },
  )
}
