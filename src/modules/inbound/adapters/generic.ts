import { createHmac, timingSafeEqual } from 'node:crypto'
import { TIMESTAMP_TOLERANCE_MS, type InboundRequest, type SourceAdapter, type Verification } from './adapter.ts'

// Standard Webhooks (standardwebhooks.com): webhook-id, webhook-timestamp (seconds),
// webhook-signature "v1,<base64 HMAC-SHA256 of `id.timestamp.body`>" (space-separated
// when several secrets sign), keyed with the base64 bytes after "whsec_".
function verifyStandardWebhooks(request: InboundRequest, secret: string, now: Date): Verification {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures } = request.headers
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing_signature', detail: 'webhook-id, webhook-timestamp and webhook-signature are required' }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_signature', detail: 'webhook-timestamp must be seconds since the epoch' }
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > TIMESTAMP_TOLERANCE_MS) {
    return { ok: false, reason: 'stale_timestamp', detail: 'webhook-timestamp is more than 5 minutes away from now' }
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(request.rawBody).digest()
  const matches = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',')
    if (version !== 'v1' || !value) return false
    const given = Buffer.from(value, 'base64')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  return matches ? { ok: true } : { ok: false, reason: 'bad_signature', detail: 'no webhook-signature matches this source\'s secret' }
}

/** A per-source token, for tools that cannot sign: `Authorization: Bearer <token>` or `?token=`. */
function verifyToken(request: InboundRequest, secret: string): Verification {
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
  const token = bearer ?? new URL(request.url).searchParams.get('token') ?? undefined
  if (!token) return { ok: false, reason: 'missing_signature', detail: 'send the source token as "Authorization: Bearer <token>" or ?token=' }
  const given = Buffer.from(token)
  const expected = Buffer.from(secret)
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'bad_signature', detail: 'the token is not this source\'s' }
}

/** Any tool that can POST JSON. Which check applies depends on the source's `auth`. */
export function genericAdapter(auth: 'signature' | 'token'): SourceAdapter {
  return {
    kind: 'generic',
    verify: (request, secret, now) => (auth === 'token' ? verifyToken(request, secret) : verifyStandardWebhooks(request, secret, now)),
    extract: (payload, request) =>
      payload !== null && typeof payload === 'object' && !Array.isArray(payload)
        ? { ok: true, submission: { submissionId: request.headers['webhook-id'], fields: payload as Record<string, unknown> } }
        : { ok: false, detail: 'the body must be a JSON object' },
  }
}
