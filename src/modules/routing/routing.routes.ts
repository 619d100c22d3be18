import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Page, withProblems } from '../../lib/schemas.ts'
import { RulesetBody } from '../../db/schema/json/ruleset.ts'
import { RulesetSummary, RulesetVersion, SimulateAnswer, SimulateBody, VersionParams, VersionsQuery } from './routing.schemas.ts'
import type { RoutingService } from './routing.service.ts'

const tags = ['routing']

export const routingRoutes: FastifyPluginAsyncTypebox<{ routing: RoutingService }> = async (app, { routing }) => {
  app.get(
    '/v1/routing',
    {
      schema: { tags, summary: 'The live routing ruleset', response: withProblems({ 200: RulesetVersion }, []) },
    },
    async () => routing.current(),
  )

  app.put(
    '/v1/routing',
    {
      schema: {
        tags,
        summary: 'Publish a new routing ruleset version',
        description:
          'Every condition, rule name, team and rep is validated first (422 naming the JSON pointer of each problem); the ruleset is ' +
          'then published atomically as the next version, routes every lead from then on, and unrouted leads are tried again under ' +
          'it.',
        body: RulesetBody,
        response: withProblems({ 200: RulesetVersion }, [422]),
      },
    },
    async (request) => routing.publish(request.body),
  )

  app.get(
    '/v1/routing/versions',
    {
      schema: {
        tags,
        summary: 'Published ruleset versions, newest first',
        querystring: VersionsQuery,
        response: withProblems({ 200: Page(RulesetSummary) }, [400]),
      },
    },
    async (request) => routing.versions(request.query),
  )

  app.get(
    '/v1/routing/versions/:version',
    {
      schema: {
        tags,
        summary: 'One published ruleset version',
        params: VersionParams,
        response: withProblems({ 200: RulesetVersion }, [400, 404]),
      },
    },
    async (request) => routing.version(request.params.version),
  )

  app.post(
    '/v1/routing/simulate',
    {
      schema: {
        tags,
        summary: 'Try a lead or a draft ruleset without writing anything',
        description:
          '`{lead, ruleset?}`: the decision for this lead (scored by the live model) under the live ruleset or a draft, with every ' +
          "rule tried and every rep's eligibility and reason. Deduplication is not simulated. `{ruleset, replay: {last: N}}`: the " +
          'draft against the last N qualified leads, compared with the rep each was first offered to.',
        body: SimulateBody,
        response: withProblems({ 200: SimulateAnswer }, [422]),
      },
    },
    async (request) => routing.simulate(request.body),
  )
}
