import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { IngestResult, Lead, LeadInput, ListLeadsQuery, Timeline } from './leads.schemas.ts'
import type { LeadsService } from './leads.service.ts'

const tags = ['leads']
const readers = { auth: ['admin', 'integration'] } as const

export const leadsRoutes: FastifyPluginAsyncTypebox<{ leads: LeadsService }> = async (app, { leads }) => {
  app.post('/v1/leads', {
    config: readers,
    schema: {
      tags,
      summary: 'Submit a lead',
      description: 'Scores and qualifies the lead in the same request. The same email within the dedupe window is not a new lead: it is merged into the existing one and re-scored (200, `duplicate: true`).',
      body: LeadInput,
      response: withProblems({ 201: IngestResult, 200: IngestResult }, [400, 422]),
    },
  }, async (request, reply) => {
    const { created, result } = await leads.ingest(request.body)
    return reply.status(created ? 201 : 200).send(result)
  })

  app.get('/v1/leads', {
    config: readers,
    schema: { tags, summary: 'List leads', querystring: ListLeadsQuery, response: withProblems({ 200: Page(Lead) }, [400]) },
  }, async (request) => leads.list(request.query))

  app.get('/v1/leads/:id', {
    config: readers,
    schema: { tags, summary: 'Get a lead, with the decision that placed it', params: IdParams, response: withProblems({ 200: Lead }, [400, 404]) },
  }, async (request) => leads.get(request.params.id))

  app.get('/v1/leads/:id/timeline', {
    config: readers,
    schema: { tags, summary: 'Everything that happened to a lead, oldest first', params: IdParams, response: withProblems({ 200: Timeline }, [400, 404]) },
  }, async (request) => leads.timeline(request.params.id))
}
