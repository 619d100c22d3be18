import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { ListTasksQuery, Task } from './tasks.schemas.ts'
import type { TasksService } from './tasks.service.ts'

const tags = ['tasks']

export const tasksRoutes: FastifyPluginAsyncTypebox<{ tasks: TasksService }> = async (app, { tasks }) => {
  app.get(
    '/v1/tasks',
    {
      config: { auth: ['admin', 'integration', 'rep'] },
      schema: {
        tags,
        summary: 'Follow-up tasks (a rep token sees its own)',
        querystring: ListTasksQuery,
        response: withProblems({ 200: Page(Task) }, [400]),
      },
    },
    async (request) => tasks.list(request.query, request.principal!),
  )

  app.post(
    '/v1/tasks/:id/complete',
    {
      config: { auth: ['admin', 'rep'] },
      schema: {
        tags,
        summary: 'Complete a task',
        description:
          'Completing it again is answered the same; a task cancelled with its lead is 409. A first call, email or meeting logged on ' +
          'the lead completes its first-contact task by itself.',
        params: IdParams,
        response: withProblems({ 200: Task }, [400, 404, 409]),
      },
    },
    async (request) => tasks.complete(request.params.id, request.principal!),
  )
}
