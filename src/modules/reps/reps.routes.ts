import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Forbidden, withProblemMembers } from '../../lib/errors.ts'
import { IdParams, Page, withProblems } from '../../lib/schemas.ts'
import {
  CreateRepBody,
  DeleteRepQuery,
  DeletedRep,
  HandBackAnswer,
  HandBackBody,
  ListRepsQuery,
  Rep,
  SELF_SERVICE_FIELDS,
  UpdateRepBody,
  UpdatedRep,
} from './reps.schemas.ts'
import type { RepsService } from './reps.service.ts'

const tags = ['reps']

export const repsRoutes: FastifyPluginAsyncTypebox<{ reps: RepsService }> = async (app, { reps }) => {
  app.post(
    '/v1/reps',
    {
      schema: { tags, summary: 'Create a rep', body: CreateRepBody, response: withProblems({ 201: Rep }, [409, 422]) },
    },
    async (request, reply) => reply.status(201).send(await reps.create(request.body)),
  )

  app.get(
    '/v1/reps',
    {
      config: { auth: ['admin', 'integration'] },
      schema: { tags, summary: 'List reps', querystring: ListRepsQuery, response: withProblems({ 200: Page(Rep) }, [400]) },
    },
    async (request) => reps.list(request.query),
  )

  app.get(
    '/v1/reps/:id',
    {
      config: { auth: ['admin', 'integration', 'rep'] },
      schema: {
        tags,
        summary: 'Get a rep (a rep token may read only its own)',
        params: IdParams,
        response: withProblems({ 200: Rep }, [400, 404]),
      },
    },
    async (request) => {
      const { principal } = request
      if (principal?.role === 'rep' && principal.repId !== request.params.id) throw new Forbidden('A rep token may read only its own rep.')
      return reps.get(request.params.id)
    },
  )

  app.get(
    '/v1/reps/me',
    {
      config: { auth: ['rep'] },
      schema: { tags, summary: "The rep token's own rep", response: withProblems({ 200: Rep }, [404]) },
    },
    async (request) => reps.get(request.principal!.repId!),
  )

  const patchSchema = {
    tags,
    body: UpdateRepBody,
    response: withProblems({ 200: UpdatedRep }, [400, 403, 404, 409, 422]),
  }
  app.patch(
    '/v1/reps/me',
    {
      config: { auth: ['rep'] },
      schema: {
        ...patchSchema,
        summary: 'Change your own availability',
        description: `A rep token changes only ${SELF_SERVICE_FIELDS.join(', ')}; any other field is 403.`,
      },
    },
    async (request) => reps.update(request.principal!.repId!, selfService(request.body), request.principal!),
  )

  app.patch(
    '/v1/reps/:id',
    {
      config: { auth: ['admin', 'rep'] },
      schema: {
        ...patchSchema,
        summary: 'Update a rep',
        description: `An admin changes any field; a rep token only its own rep's ${SELF_SERVICE_FIELDS.join(', ')} (as PATCH /v1/reps/me).`,
        params: IdParams,
      },
    },
    async (request) => {
      const { principal } = request
      if (principal?.role !== 'rep') return reps.update(request.params.id, request.body, principal!)
      if (principal.repId !== request.params.id) throw new Forbidden('A rep token may change only its own rep.')
      return reps.update(request.params.id, selfService(request.body), principal)
    },
  )

  app.post(
    '/v1/reps/:id/hand-back',
    {
      config: { auth: ['admin', 'rep'] },
      schema: {
        tags,
        summary: "Hand a rep's work back: pending offers, and with unworked or open their owned leads",
        description:
          "For an admin, or the rep's manager (a rep token): its managerId, or the manager of a team it is a member of. " +
          'Idempotent: a second call moves nothing more.',
        params: IdParams,
        body: HandBackBody,
        response: withProblems({ 200: HandBackAnswer }, [400, 403, 404, 422]),
      },
    },
    async (request) => reps.handBack(request.params.id, request.body.include, request.principal!),
  )

  app.delete(
    '/v1/reps/:id',
    {
      schema: {
        tags,
        summary: 'Delete a rep',
        description:
          'Refused with 409 (`conflicts` names the counts) while the rep owns accounts, manages reps or teams, is named by the ' +
          'routing rules, has offers pending or owns open leads. With `?handBack=open` the rep leaves its teams, its offers and ' +
          'open leads are handed back, exactly as POST /v1/reps/{id}/hand-back {include: open} does, and the answer is 200 ' +
          'with what moved; no lead routed meanwhile is left with the deleted rep. Otherwise 204. The rep leaves its teams ' +
          'and is no longer listed; past leads keep naming it.',
        params: IdParams,
        querystring: DeleteRepQuery,
        response: withProblems({ 200: DeletedRep, 204: Type.Null() }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const handedBack = await reps.remove(id, { ...request.query, principal: request.principal! })
      return handedBack ? { id, deleted: true as const, handedBack } : reply.status(204).send(null)
    },
  )
}

/** A rep's own patch: only the self-service fields; the others are named in the 403. */
function selfService(body: UpdateRepBody): UpdateRepBody {
  const others = Object.keys(body).filter((field) => !(SELF_SERVICE_FIELDS as readonly string[]).includes(field))
  if (others.length > 0) {
    throw withProblemMembers(
      new Forbidden(`A rep may change only ${SELF_SERVICE_FIELDS.join(', ')} of itself; an admin changes ${others.join(', ')}.`),
      { fields: others },
    )
  }
  return body
}
