import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { ListNotificationsQuery, Notification, NotificationSettings, NotificationSettingsBody } from './notifications.schemas.ts'
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

  app.get(
    '/v1/notifications',
    {
      schema: {
        tags: ['reps'],
        summary: 'Get the notification settings',
        description:
          "The admin targets (told of a lead that needs a person) and which messages go out at all. Reps' own targets are theirs.",
        response: withProblems({ 200: NotificationSettings }, []),
      },
    },
    async () => notifications.settings(),
  )

  app.put(
    '/v1/notifications',
    {
      schema: {
        tags: ['reps'],
        summary: 'Replace the notification settings',
        description:
          'Every URL target goes through the SSRF guard (Slack only under https://hooks.slack.com/, Teams only https): 422 at its pointer.',
        body: NotificationSettingsBody,
        response: withProblems({ 200: NotificationSettings }, [422]),
      },
    },
    async (request) => notifications.replaceSettings(request.body),
  )
}
