import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { BadRequest, invalidFields } from '../lib/errors.ts'
import { unstorable } from '../lib/storable.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON bodies as RFC 8259 has them and PostgreSQL can store them: UTF-8 only (invalid
 * bytes are 400 malformed_json, not silently U+FFFD), and no text PostgreSQL refuses or
 * mangles (NUL, unpaired surrogates) or nesting past MAX_JSON_DEPTH, each a 422 naming
 * where (see lib/storable.ts). Parsing stays Fastify's, prototype-poisoning checks included.
 */
export const jsonBodyPlugin = fp(async (app: FastifyInstance) => {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = strictUtf8.decode(body as Buffer)
    } catch {
      done(
        Object.assign(new BadRequest('The request body is not valid UTF-8: JSON must be sent as UTF-8 (RFC 8259).'), {
          code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        }),
        undefined,
      )
      return
    }
    void parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined)
      const problem = unstorable(value)
      done(
        problem ? invalidFields(`The request body is invalid: ${problem.pointer || '(root)'} ${problem.detail}`, [problem]) : null,
        value,
      )
    })
  })
})
