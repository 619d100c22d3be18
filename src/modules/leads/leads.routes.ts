import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import { fingerprintOf, idempotencyScope } from '../idempotency/idempotency.ts'
import { IngestResult, Lead, LeadInput, ListLeadsQuery, ReassignAnswer, ReassignBody, Timeline } from './leads.schemas.ts'
import type { LeadsService } from './leads.service.ts'
import { readerFor } from '../events/events.service.ts'

const tags = ['leads']

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^"?[\\x21\\x23-\\x7e]+"?$',
      description: 'Retry safely: the same key and body within 24 h get the first answer again',
    }),
  ),
})

// The draft defines the key as a structured-field string ("…"); bare tokens are accepted too.
const idempotencyKey = (header: string | undefined) => header?.replace(/^"(.*)"$/, '$1')
const readers = { auth: ['admin', 'integration'] } as const
// A rep token reads a lead it was ever offered (else 404: it never learns that a lead exists).
const leadReaders = { auth: ['admin', 'integration', 'rep'] } as const

export const leadsRoutes: FastifyPluginAsyncTypebox<{ leads: LeadsService }> = async (app, { leads }) => {
  app.post(
    '/v1/leads',
    {
      config: readers,
      schema: {
        tags,
        summary: 'Submit a lead',
        description:
          'Scores and qualifies the lead in the same request. The same email within the dedupe window is not a new lead: it is ' +
          'merged into the existing one and re-scored (200, `duplicate: true`).',
        body: LeadInput,
        headers: IdempotencyHeaders,
        response: withProblems({ 201: IngestResult, 200: IngestResult }, [400, 409, 422]),
      },
    },
    async (request, reply) => {
      const key = idempotencyKey(request.headers['idempotency-key'])
      if (!key) {
        const { created, result } = await leads.ingest(request.body)
        return reply.status(created ? 201 : 200).send(result)
      }
      const scope = idempotencyScope('POST /v1/leads', request.principal!)
      const answer = await leads.ingestOnce(request.body, { scope, key, fingerprint: fingerprintOf(request.body) })
      if (answer.replayed) reply.header('idempotent-replayed', 'true')
      // The stored bytes, as they are (no re-serialising): a retry sees exactly what the first call saw.
      const raw = reply as unknown as FastifyReply
      return raw
        .status(answer.status)
        .type('application/json; charset=utf-8')
        .serializer((body: unknown) => String(body))
        .send(answer.body)
    },
  )

  app.get(
    '/v1/leads',
    {
      config: readers,
      schema: {
        tags,
        summary: 'List leads',
        description:
          'Filters combine (all must hold) and page like every list. `repId`: the leads a rep holds, owned or offered. A domain ' +
          'that is not one is 422. Admin and integration tokens only: a rep reads the leads it was offered one by one.',
        querystring: ListLeadsQuery,
        response: withProblems({ 200: Page(Lead) }, [400, 422]),
      },
    },
    async (request) => leads.list(request.query),
  )

  app.get(
    '/v1/leads/:id',
    {
      config: leadReaders,
      schema: {
        tags,
        summary: 'Get a lead, with the decision that placed it (a rep token: a lead it was offered)',
        params: IdParams,
        response: withProblems({ 200: Lead }, [400, 404]),
      },
    },
    async (request) => leads.get(request.params.id, request.principal!),
  )

  app.get(
    '/v1/leads/:id/timeline',
    {
      config: leadReaders,
      schema: {
        tags,
        summary: 'Everything that happened to a lead, oldest first (a rep token: a lead it was offered)',
        description: "lead.assigned's `acceptUrl` (a one-click link that accepts as the rep) is shown to admin tokens only.",
        params: IdParams,
        response: withProblems({ 200: Timeline }, [400, 404]),
      },
    },
    async (request) => leads.timeline(request.params.id, readerFor(request.principal!), request.principal!),
  )

  app.post(
    '/v1/leads/:id/reassign',
    {
      config: { auth: ['admin', 'integration', 'rep'] },
      schema: {
        tags,
        summary: 'Move a lead on purpose: offer it to a rep, transfer it to one, or send it back into routing',
        description:
          "For admins, integrations naming a reason, and the manager of the lead's team (a rep token). A pending, accepted, " +
          'contacted, unrouted or escalated lead; a closed or converted one is 409. A waiting handoff is withdrawn ' +
          '(handoff.withdrawn); lead.reassigned names the actor, the reason, from whom and to whom.',
        params: IdParams,
        body: ReassignBody,
        response: withProblems({ 200: ReassignAnswer }, [400, 403, 404, 409, 422]),
      },
    },
    async (request) => leads.reassign(request.params.id, request.body, request.principal!),
  )
}
