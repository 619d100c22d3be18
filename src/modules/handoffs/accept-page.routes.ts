import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { withProblems } from '../../lib/schemas.ts'
import { Handoff } from './handoffs.schemas.ts'
import type { HandoffsService } from './handoffs.service.ts'

const tags = ['handoffs']
// Other parameters are let through: mail tools append their own (utm_*, _hsenc) to links.
const TokenQuery = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 4096, description: 'The token of an accept link' }) },
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

/**
 * One-click accept links (SPEC "Handoffs"). GET only shows a confirmation page whose
 * button POSTs, so mail and chat link scanners that prefetch a URL accept nothing;
 * POST accepts as the link's rep. Browsers get pages; `Accept: application/json` gets JSON.
 */
export const acceptPageRoutes: FastifyPluginAsyncTypebox<{ handoffs: HandoffsService }> = async (app, { handoffs }) => {
  // The page's form posts no fields; accept its empty url-encoded body (in this plugin only).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) => done(null, undefined))

  app.get(
    '/v1/handoffs/accept',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'The confirmation page of a one-click accept link (accepts nothing)',
        querystring: TokenQuery,
      },
    },
    async (request, reply) => {
      try {
        const { handoff, lead } = await handoffs.fromLink(request.query.token)
        if (!handoff || handoff.status !== 'pending') {
          return page(
            reply,
            409,
            'Nothing to accept',
            `This lead was already ${handoff?.status ?? 'withdrawn'}: the link works once, while the handoff waits.`,
          )
        }
        const who = lead?.company ? `${lead.company} (${lead.email})` : (lead?.email ?? 'a lead')
        return page(
          reply,
          200,
          'Accept this lead?',
          `${who}. Accept by ${handoff.deadlineAt.toISOString().replace('T', ' ').slice(0, 16)} UTC.`,
          request.url,
        )
      } catch (error) {
        return failure(reply, error)
      }
    },
  )

  app.post(
    '/v1/handoffs/accept',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'Accept through a one-click link',
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
}

const wantsJson = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

function failure(reply: FastifyReply, error: unknown) {
  const status = (error as { statusCode?: number }).statusCode
  if (!status || status >= 500) throw error
  return page(reply, status, 'This link cannot be used', (error as Error).message)
}

function page(reply: FastifyReply, status: number, title: string, text: string, action?: string) {
  const form = action ? `<form method="post" action="${escape(action)}"><button type="submit">Accept</button></form>` : ''
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>${escape(title)} · Baton</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.5rem}</style></head>
<body><h1>${escape(title)}</h1><p>${escape(text)}</p>${form}</body></html>`
  return reply.status(status).headers(PAGE_HEADERS).send(html)
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
