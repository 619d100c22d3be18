import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { withProblems } from '../../lib/schemas.ts'
import { invalidFields } from '../../lib/errors.ts'
import { Handoff } from './handoffs.schemas.ts'
import type { HandoffsService } from './handoffs.service.ts'
import { DECLINE_REASONS, handoffPage, resultPage } from './handoff-page.ts'

const tags = ['handoffs']
// Other parameters are let through: mail tools append their own (utm_*, _hsenc) to links.
const TokenQuery = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'The token of an accept link' }),
    action: Type.Optional(Type.Literal('decline', { description: 'The decline link: the page opens on the decline form' })),
  },
  { additionalProperties: true },
)

// The link is a credential: no caching, no indexing, and no Referer carrying it elsewhere.
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  // frame-ancestors' counterpart for browsers that predate it: the accept button cannot be clickjacked.
  'x-frame-options': 'DENY',
}
const NOTE_MAX = 500

type Link = Awaited<ReturnType<HandoffsService['fromLink']>>

/**
 * The handoff page (SPEC "Handoffs"), which every notification links to. GET only shows
 * the lead and two forms, so mail and chat link scanners that prefetch a URL change
 * nothing; the forms POST: accept, or decline with a reason, as the link's rep. Browsers
 * get pages; `Accept: application/json` gets JSON.
 */
export const acceptPageRoutes: FastifyPluginAsyncTypebox<{ handoffs: HandoffsService }> = async (app, { handoffs }) => {
  // The forms post url-encoded fields (in this plugin only); JSON bodies parse as everywhere.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  )

  app.get(
    '/v1/handoffs/accept',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'The handoff page of an accept link (changes nothing)',
        description:
          'The lead, what they asked for, why it scored, why this rep, and the deadline in the rep’s own time, with an Accept form ' +
          'and a Decline form (a reason from a short list, plus free text). `action=decline` opens it on the decline form.',
        querystring: TokenQuery,
      },
    },
    async (request, reply) => {
      try {
        const { token } = request.query
        return await showPage(token, await handoffs.fromLink(token), request.query.action === 'decline', reply)
      } catch (error) {
        return failure(reply, error)
      }
    },
  )

  /** The handoff page of a verified link (`fromLink`), or why there is nothing to answer. */
  async function showPage(token: string, link: Link, declineFirst: boolean, reply: FastifyReply, error?: string, status = 200) {
    const { handoff, lead, repId } = link
    if (!handoff || !lead || handoff.status !== 'pending') return used(reply, handoff?.status)
    const { rep, now } = await handoffs.pageFor(repId)
    const action = (path: string) => `${path}?token=${encodeURIComponent(token)}`
    const html = handoffPage({
      lead,
      handoff,
      rep,
      now,
      acceptAction: action('/v1/handoffs/accept'),
      declineAction: action('/v1/handoffs/decline'),
      declineFirst,
      ...(error ? { error } : {}),
    })
    return reply.status(status).headers(PAGE_HEADERS).send(html)
  }

  app.post(
    '/v1/handoffs/accept',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'Accept through an accept link',
        description:
          'Accepts the handoff as the rep the link names. A changed link is 400, an expired one 410, a used one (or a handoff no ' +
          'longer pending) 409.',
        querystring: TokenQuery,
        response: withProblems({ 200: Handoff }, [400, 409, 410]),
      },
    },
    async (request, reply) => {
      const json = wantsJson(request)
      try {
        const { handoffId, repId } = await handoffs.fromLink(request.query.token)
        const accepted = await handoffs.accept(handoffId, { role: 'rep', repId, subject: repId }, { onceOnly: true })
        return json ? accepted : page(reply, 200, 'Accepted', 'The lead is yours. Reach out before the first-contact task falls due.')
      } catch (error) {
        if (json) throw error
        return failure(reply, error)
      }
    },
  )

  app.post(
    '/v1/handoffs/decline',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'Decline through an accept link',
        description:
          'Declines the handoff as the rep the link names, and the lead moves on to the next rep. The body (a form or JSON) has ' +
          `\`reason\`: one of ${DECLINE_REASONS.map((r) => `"${r}"`).join(', ')}, or any text; and an optional \`note\` (required ` +
          'with "Other"). No reason is 422; a changed link 400, an expired one 410, a handoff no longer pending 409.',
        querystring: TokenQuery,
        response: withProblems({ 200: Handoff }, [400, 409, 410, 422]),
      },
    },
    async (request, reply) => {
      const json = wantsJson(request)
      const body = (request.body ?? {}) as { reason?: unknown; note?: unknown }
      const reason = declineReason(body)
      try {
        // The link first: a changed or expired one is that (400, 410), whatever the form says.
        const link = await handoffs.fromLink(request.query.token)
        if (typeof reason !== 'string') {
          if (json) throw invalidFields('The decline needs a reason.', [{ pointer: reason.pointer, detail: reason.detail }])
          return await showPage(request.query.token, link, true, reply, reason.detail, 422)
        }
        const { handoffId, repId } = link
        const declined = await handoffs.decline(handoffId, { role: 'rep', repId, subject: repId }, reason)
        return json ? declined : page(reply, 200, 'Declined', 'Thanks: the lead has moved on to the next rep.')
      } catch (error) {
        if (json) throw error
        return failure(reply, error)
      }
    },
  )
}

/** The reason a decline form gives ("Out of office: back Monday"), or what is missing. */
function declineReason({ reason, note }: { reason?: unknown; note?: unknown }): string | { pointer: string; detail: string } {
  const picked = typeof reason === 'string' ? reason.trim().slice(0, NOTE_MAX) : ''
  const text = typeof note === 'string' ? note.trim().slice(0, NOTE_MAX) : ''
  if (!picked) return { pointer: '/reason', detail: 'Pick a reason for passing the lead on.' }
  if (picked === 'Other') return text ? text : { pointer: '/note', detail: 'Say in a few words why, for "Other".' }
  return text ? `${picked}: ${text}` : picked
}

const wantsJson = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

const used = (reply: FastifyReply, status: string | undefined) =>
  page(reply, 409, 'Nothing to do', `This lead was already ${status ?? 'withdrawn'}: the link works once, while the handoff waits.`)

function failure(reply: FastifyReply, error: unknown) {
  const status = (error as { statusCode?: number }).statusCode
  if (!status || status >= 500) throw error
  const title = status === 410 ? 'Too late' : status === 409 ? 'Nothing to do' : 'This link cannot be used'
  return page(reply, status, title, (error as Error).message)
}

const page = (reply: FastifyReply, status: number, title: string, text: string) =>
  reply.status(status).headers(PAGE_HEADERS).send(resultPage(title, text))
