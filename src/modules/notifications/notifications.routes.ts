import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { ListNotificationsQuery, Notification } from './notifications.schemas.ts'
import type { NotificationsService } from './notifications.service.ts'

export const notificationsRoutes: FastifyPluginAsyncTypebox<{ notifications: NotificationsService }> = async (app, { notifications }) => {
  app.get(
    '/v1/reps/:id/notifications',
    {
      config: { auth: ['admin', 'rep'] },
      schema: {
        tags: ['reps'],
        summary: "List a rep's notifications",
        description:
          'What the rep was told on each of their targets, newest first: the message, the status, attempts and the last error. ' +
          'Admins read any rep; a rep token reads its own (another rep is 403).',
        params: IdParams,
        querystring: ListNotificationsQuery,
        response: withProblems({ 200: Page(Notification) }, [400, 404]),
      },
    },
    async (request) => notifications.listForRep(request.params.id, request.query, request.principal!),
  )
}
