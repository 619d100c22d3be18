import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, withProblems } from '../../lib/schemas.ts'
import { HandoffMetrics, HandoffMetricsQuery, RepStats, RepStatsQuery } from './metrics.schemas.ts'
import type { MetricsService } from './metrics.service.ts'

const tags = ['metrics']

export const metricsRoutes: FastifyPluginAsyncTypebox<{ metrics: MetricsService }> = async (app, { metrics }) => {
  app.get(
    '/v1/metrics/handoffs',
    {
      config: { auth: ['admin', 'integration'] },
      schema: {
        tags,
        summary: 'Handoff funnel, speed and SLA figures',
        description:
          'Over the leads that arrived in [from, to): how many reached each stage, time to accept and to first contact (p50/p90/p99 ' +
          'seconds), the acceptance-SLA breach rate, first-contact overdue, re-route and escalation rates, and time spent unrouted. ' +
          '`groupBy` splits them by rep, team, rule, source or tier.',
        querystring: HandoffMetricsQuery,
        response: withProblems({ 200: HandoffMetrics }, [400, 422]),
      },
    },
    async (request) => metrics.handoffs(request.query),
  )

  app.get(
    '/v1/reps/:id/stats',
    {
      config: { auth: ['admin', 'integration', 'rep'] },
      schema: {
        tags,
        summary: "One rep's handoff figures",
        description:
          'The same figures for one rep: the leads they own, the handoffs offered to them. A rep token reads only its own (403).',
        params: IdParams,
        querystring: RepStatsQuery,
        response: withProblems({ 200: RepStats }, [400, 403, 404, 422]),
      },
    },
    async (request) => metrics.rep(request.params.id, request.query, request.principal!),
  )
}
