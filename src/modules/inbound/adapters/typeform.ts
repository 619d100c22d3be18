// Typeform webhooks (typeform.com/developers/webhooks/secure-your-webhooks): `Typeform-Signature:
// sha256=<base64 HMAC-SHA256(secret, raw body)>`, no timestamp, so replays are caught by the token only.
import type { Extraction, SourceAdapter } from './adapter.ts'
import { bad, hmacSha256, isRecord, missing, safeEqual } from './signing.ts'

/**
 * The value of one answer: the property named by its `type` (text, email, number, boolean,
 * phone_number, url, date, file_url, payment, …). A choice is its label (or the "other" text),
 * choices are the list of labels plus any "other" text.
 */
function answerValue(answer: Record<string, unknown>, type: string): unknown {
  const value = answer[type]
  if (type === 'choice' && isRecord(value)) return value.label ?? value.other
  if (type === 'choices' && isRecord(value)) {
    const labels: unknown[] = Array.isArray(value.labels) ? value.labels : []
    return value.other === undefined ? labels : [...labels, value.other]
  }
  return value
}

function extract(payload: unknown): Extraction {
  if (!isRecord(payload)) return { ok: false, detail: 'expected a Typeform webhook object' }
  if (payload.event_type !== 'form_response') return { ok: false, detail: 'expected event_type "form_response"' }
  const response = payload.form_response
  if (!isRecord(response)) return { ok: false, detail: 'expected a form_response object' }
  if (!Array.isArray(response.answers)) return { ok: false, detail: 'expected form_response.answers to be a list' }
  if (response.hidden !== undefined && !isRecord(response.hidden))
    return { ok: false, detail: 'expected form_response.hidden to be an object' }

  const entries: Array<[string, unknown]> = []
  for (const [index, answer] of (response.answers as unknown[]).entries()) {
    const field = isRecord(answer) ? answer.field : undefined
    // Typeform always sends a ref (generated when the form author set none); the id is a fallback.
    const name = isRecord(field) ? (typeof field.ref === 'string' && field.ref ? field.ref : field.id) : undefined
    if (!isRecord(answer) || typeof answer.type !== 'string' || typeof name !== 'string' || !name) {
      return { ok: false, detail: `expected form_response.answers[${index}] to have a type and a field with a ref` }
    }
    entries.push([name, answerValue(answer, answer.type)])
  }
  // Hidden fields are passed in the form's URL (utm_source, …): the field map refers to them by name.
  for (const [name, value] of Object.entries(response.hidden ?? {})) entries.push([name, value])

  const token = typeof response.token === 'string' && response.token ? response.token : undefined
  const eventId = typeof payload.event_id === 'string' && payload.event_id ? payload.event_id : undefined
  // fromEntries defines own properties, so a field named "__proto__" stays a field.
  return { ok: true, submission: { submissionId: token ?? eventId, fields: Object.fromEntries(entries) } }
}

/** Typeform: one form_response per request, answers keyed by their field ref. */
export const typeformAdapter: SourceAdapter = {
  kind: 'typeform',
  verify(request, secret) {
    const header = request.headers['typeform-signature']
    if (!header) return missing('Typeform-Signature is required: set a secret on the Typeform webhook')
    if (!header.startsWith('sha256=')) return bad('Typeform-Signature must be "sha256=<base64 digest>"')
    const expected = hmacSha256(secret, request.rawBody).toString('base64')
    return safeEqual(header.slice('sha256='.length), expected)
      ? { ok: true }
      : bad("Typeform-Signature does not match this source's secret")
  },
  extract,
}
