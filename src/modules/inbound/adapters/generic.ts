import { tokenMatches } from '../../../lib/secret-box.ts'
import { TIMESTAMP_TOLERANCE_MS, type InboundRequest, type SourceAdapter, type Verification } from './adapter.ts'
import { bad, checkFreshness, hmacSha256, isRecord, missing, safeEqual } from './signing.ts'

// Standard Webhooks (standardwebhooks.com): webhook-id, webhook-timestamp (seconds),
// webhook-signature "v1,<base64 HMAC-SHA256 of `id.timestamp.body`>" (space-separated
// when several secrets sign), keyed with the base64 bytes after "whsec_".
function verifyStandardWebhooks(request: InboundRequest, secret: string, now: Date): Verification {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures } = request.headers
  if (!id || !timestamp || !signatures) return missing('webhook-id, webhook-timestamp and webhook-signature are required')
  if (!/^\d{1,12}$/.test(timestamp)) return bad('webhook-timestamp must be seconds since the epoch')
  const fresh = checkFreshness(Number(timestamp) * 1000, now, TIMESTAMP_TOLERANCE_MS, 'webhook-timestamp')
  if (!fresh.ok) return fresh
  const expected = hmacSha256(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'), `${id}.${timestamp}.`, request.rawBody)
  const matches = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',')
    return version === 'v1' && value !== undefined && safeEqual(Buffer.from(value, 'base64'), expected)
  })
  return matches ? { ok: true } : bad("no webhook-signature matches this source's secret")
}

/**
 * A per-source token, for tools that cannot sign: `Authorization: Bearer <token>` or `?token=`.
 * `stored` is what the source keeps of its token, its SHA-256 (lib/secret-box.ts hashToken).
 */
function verifyToken(request: InboundRequest, stored: string): Verification {
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
  const token = bearer ?? new URL(request.url).searchParams.get('token') ?? undefined
  if (!token) return missing('send the source token as "Authorization: Bearer <token>" or ?token=')
  return tokenMatches(token, stored) ? { ok: true } : bad("the token is not this source's")
}

/**
 * Any tool that can POST JSON. Which check applies depends on the source's `auth`; the secret
 * it is given is the signing secret, or for a token source the token's stored hash.
 */
export function genericAdapter(auth: 'signature' | 'token'): SourceAdapter {
  return {
    kind: 'generic',
    verify: (request, secret, now) => (auth === 'token' ? verifyToken(request, secret) : verifyStandardWebhooks(request, secret, now)),
    extract: (payload, request) =>
      isRecord(payload)
        ? { ok: true, submission: { submissionId: request.headers['webhook-id'], fields: payload } }
        : { ok: false, detail: 'the body must be a JSON object' },
  }
}
