// Webflow webhooks (developers.webflow.com/data/docs/working-with-webhooks, "Validating request signatures"):
// `x-webflow-signature` = hex HMAC-SHA256(secret, `${x-webflow-timestamp}:${raw body}`), timestamp in ms.
// The docs show the body as JSON.stringify(parsed body); that is the body as sent, so the raw bytes are
// signed here. Webflow documents signatures only for webhooks created by an OAuth app (its client secret);
// webhooks made in the site dashboard arrive unsigned and are refused as missing_signature.
import { TIMESTAMP_TOLERANCE_MS, type Extraction, type SourceAdapter } from './adapter.ts'
import { bad, checkFreshness, hmacSha256, isRecord, missing, parseMillis, safeEqual } from './signing.ts'

function extract(payload: unknown): Extraction {
  if (!isRecord(payload)) return { ok: false, detail: 'expected a Webflow webhook object' }
  if (payload.triggerType !== 'form_submission') return { ok: false, detail: 'expected triggerType "form_submission"' }
  const submission = payload.payload
  if (!isRecord(submission) || !isRecord(submission.data))
    return { ok: false, detail: 'expected payload.data to be an object of field name to value' }
  const id = submission.id
  return {
    ok: true,
    submission: {
      submissionId: typeof id === 'string' && id ? id : undefined,
      // Webflow keys by the field's name as set in the Designer, which is what a field map refers to.
      fields: Object.fromEntries(Object.entries(submission.data)),
    },
  }
}

/** Webflow site webhooks, trigger `form_submission`. */
export const webflowAdapter: SourceAdapter = {
  kind: 'webflow',
  verify(request, secret, now) {
    const { 'x-webflow-timestamp': timestamp, 'x-webflow-signature': signature } = request.headers
    if (!timestamp || !signature) return missing('x-webflow-timestamp and x-webflow-signature are required')
    const millis = parseMillis(timestamp)
    if (millis === undefined) return bad('x-webflow-timestamp must be milliseconds since the epoch')
    const fresh = checkFreshness(millis, now, TIMESTAMP_TOLERANCE_MS, 'x-webflow-timestamp')
    if (!fresh.ok) return fresh
    const expected = hmacSha256(secret, `${timestamp}:`, request.rawBody).toString('hex')
    return safeEqual(signature.toLowerCase(), expected) ? { ok: true } : bad("x-webflow-signature does not match this source's secret")
  },
  extract,
}
