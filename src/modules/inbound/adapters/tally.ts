// Tally webhooks (tally.so/help/webhooks): `Tally-Signature: <base64 HMAC-SHA256(signing secret, raw body)>`,
// no prefix and no timestamp; sent only when the webhook has a signing secret.
import type { Extraction, SourceAdapter } from './adapter.ts'
import { bad, hmacSha256, isRecord, missing, safeEqual } from './signing.ts'

/**
 * Choice fields (MULTIPLE_CHOICE, DROPDOWN, CHECKBOXES, MULTI_SELECT, RANKING) carry option ids
 * as their value; a field map wants the text the respondent saw. Ids without an option stay ids.
 */
function optionText(value: unknown, options: unknown): unknown {
  if (!Array.isArray(options)) return value
  const texts = new Map<unknown, unknown>()
  for (const option of options) if (isRecord(option) && option.id !== undefined) texts.set(option.id, option.text)
  if (Array.isArray(value)) return (value as unknown[]).map((id) => (texts.has(id) ? texts.get(id) : id))
  return texts.has(value) ? texts.get(value) : value
}

function extract(payload: unknown): Extraction {
  if (!isRecord(payload)) return { ok: false, detail: 'expected a Tally webhook object' }
  if (payload.eventType !== 'FORM_RESPONSE') return { ok: false, detail: 'expected eventType "FORM_RESPONSE"' }
  const data = payload.data
  if (!isRecord(data) || !Array.isArray(data.fields)) return { ok: false, detail: 'expected data.fields to be a list' }

  const byKey: Array<[string, unknown]> = []
  const byLabel: Array<[string, unknown]> = []
  for (const [index, field] of (data.fields as unknown[]).entries()) {
    if (!isRecord(field) || typeof field.key !== 'string' || !field.key) {
      return { ok: false, detail: `expected data.fields[${index}] to be an object with a key` }
    }
    const value = optionText(field.value, field.options)
    byKey.push([field.key, value])
    if (typeof field.label === 'string' && field.label) byLabel.push([field.label, value])
  }
  // A key is unique and stable; a label is neither. Keys win a clash, and the first of two equal labels wins.
  const fields = Object.fromEntries([...byLabel.reverse(), ...byKey])

  const id = [data.submissionId, data.responseId, payload.eventId].find((candidate) => typeof candidate === 'string' && candidate !== '')
  return { ok: true, submission: { submissionId: id as string | undefined, fields } }
}

/** Tally: one FORM_RESPONSE per request, fields keyed by both their key and their label. */
export const tallyAdapter: SourceAdapter = {
  kind: 'tally',
  verify(request, secret) {
    const header = request.headers['tally-signature']
    if (!header) return missing('Tally-Signature is required: set a signing secret on the Tally webhook')
    const expected = hmacSha256(secret, request.rawBody).toString('base64')
    return safeEqual(header, expected) ? { ok: true } : bad("Tally-Signature does not match this source's secret")
  },
  extract,
}
