// HubSpot request signature v3 (developers.hubspot.com/docs/api/webhooks/validating-requests):
// `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(client secret, method + uri + body + X-HubSpot-Request-Timestamp),
// timestamp in ms, requests older than 5 minutes refused.
import { TIMESTAMP_TOLERANCE_MS, type Extraction, type SourceAdapter } from './adapter.ts'
import { bad, checkFreshness, hmacSha256, isRecord, missing, parseMillis, safeEqual } from './signing.ts'

// HubSpot's table of percent-escapes to decode in the URI before signing; any other escape stays.
// The docs do not say whether HubSpot's own copy of the URI had these escaped in the first place,
// and its Node SDK signs the URL as given, so both the decoded and the received form are accepted
// (either needs the secret, so accepting both opens nothing).
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
}

export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => DECODED[escape.toUpperCase()] ?? escape)
}

/** `{name: value}`, `{name: {value}}` (CRM property objects) or `[{name, value}]`; undefined when neither. */
function namedValues(source: unknown): Array<[string, unknown]> | undefined {
  if (Array.isArray(source)) {
    const entries: Array<[string, unknown]> = []
    for (const item of source) {
      if (!isRecord(item) || typeof item.name !== 'string' || !item.name) return undefined
      entries.push([item.name, item.value])
    }
    return entries
  }
  if (!isRecord(source)) return undefined
  return Object.entries(source).map(([name, value]) => [name, isRecord(value) && 'value' in value ? value.value : value])
}

function submissionIdOf(event: Record<string, unknown>): string | undefined {
  const formSubmissions = event['form-submissions']
  const latest = Array.isArray(formSubmissions) && isRecord(formSubmissions[0]) ? formSubmissions[0]['conversion-id'] : undefined
  for (const candidate of [event.conversionId, event['conversion-id'], event.submissionId, event.formSubmissionId, latest]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate
    if (typeof candidate === 'number') return String(candidate)
  }
  return undefined
}

/**
 * Shapes accepted, all found in HubSpot's docs or in integrations built on them (none is a
 * dedicated "form submission webhook"; a workflow triggered by the form sends the record):
 * - `properties`: a workflow webhook of a contact, `{name: value}` or legacy `{name: {value, versions}}`;
 * - `fields`: `{name: value}` or `[{name, value}]`, the Forms submission shape;
 * - `values`: `[{name, value}]`, a form submission as the Forms API lists it;
 * - a list holding exactly one of the above (webhook deliveries are batched into lists).
 */
function extract(payload: unknown): Extraction {
  let event = payload
  if (Array.isArray(payload)) {
    if (payload.length !== 1) return { ok: false, detail: `expected one submission per request, got a list of ${payload.length}` }
    event = payload[0]
  }
  if (!isRecord(event)) return { ok: false, detail: 'expected a HubSpot submission object' }
  const source = event.properties ?? event.fields ?? event.values
  const entries = source === undefined ? undefined : namedValues(source)
  if (!entries) return { ok: false, detail: 'expected properties, fields or values as {name: value} or [{name, value}]' }
  return { ok: true, submission: { submissionId: submissionIdOf(event), fields: Object.fromEntries(entries) } }
}

/** HubSpot webhooks and workflow "Send a webhook" actions signed with the app's client secret. */
export const hubspotAdapter: SourceAdapter = {
  kind: 'hubspot',
  verify(request, secret, now) {
    const { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp } = request.headers
    if (!signature || !timestamp) return missing('X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required')
    const millis = parseMillis(timestamp)
    if (millis === undefined) return bad('X-HubSpot-Request-Timestamp must be milliseconds since the epoch')
    const fresh = checkFreshness(millis, now, TIMESTAMP_TOLERANCE_MS, 'X-HubSpot-Request-Timestamp')
    if (!fresh.ok) return fresh
    const decoded = hubspotSignedUri(request.url)
    const uris = decoded === request.url ? [decoded] : [decoded, request.url]
    const matches = uris
      .map((uri) => hmacSha256(secret, `${request.method}${uri}`, request.rawBody, timestamp).toString('base64'))
      .some((expected) => safeEqual(signature, expected))
    return matches ? { ok: true } : bad("X-HubSpot-Signature-v3 does not match this source's client secret")
  },
  extract,
}
