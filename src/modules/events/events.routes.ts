import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { withProblems } from '../../lib/schemas.ts'
import { EventFeed, EventFeedQuery } from './events.schemas.ts'
import { readerFor, type EventsService } from './events.service.ts'

export const eventsRoutes: FastifyPluginAsyncTypebox<{ events: EventsService }> = async (app, { events }) => {
  app.get(
    '/v1/events',
    {
      config: { auth: ['admin', 'integration'] },
      schema: {
        tags: ['events'],
        summary: 'The ordered, durable event feed',
        description:
          'Every event in commit order, without gaps: an event never appears before one already served. Poll with `after` set to the ' +
          'last `nextCursor`. ' +
          "lead.assigned's `acceptUrl` (a one-click link that accepts as the rep) is shown to admin tokens only.",
        querystring: EventFeedQuery,
        response: withProblems({ 200: EventFeed }, [400]),
      },
    },
    async (request) => events.feed(request.query, readerFor(request.principal!)),
  )
}
