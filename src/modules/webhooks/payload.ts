import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import type { EndpointSecret, EventRow } from '../../db/schema/index.ts'
import { toEvent, type EventReader } from '../events/events.service.ts'

/** Standard Webhooks' advice: keep payloads small; larger ones are cut down to the lead. */
export const MAX_PAYLOAD_BYTES = 20_000

/**
 * The body every standard endpoint receives, the same one GET /v1/events serves:
 * `{id, type, timestamp, sequence, data}` (with accept links only for an endpoint opted in). A body over 20 KB keeps the lead snapshot and
 * says it was truncated; the whole event stays readable in the feed.
 */
export function payloadOf(event: EventRow, reader: EventReader): string {
  const readable = toEvent(event, reader)
  const body = JSON.stringify(readable)
  if (Buffer.byteLength(body) <= MAX_PAYLOAD_BYTES) return body
  const lead = (event.data as { lead?: unknown }).lead
  return JSON.stringify({ ...readable, data: { ...(lead ? { lead } : {}), truncated: true } })
}

/**
 * The Standard Webhooks headers: webhook-id is the event id (the same on every retry and
 * replay, so receivers dedupe on it), and one `v1,` signature per secret still signing
 * (during a rotation's grace period, the old and the new).
 */
export function signedHeaders(
  eventId: string,
  body: string,
  secrets: Array<Pick<EndpointSecret, 'secret'>>,
  at: Date,
): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000).toString()
  const signed = `${eventId}.${timestamp}.${body}`
  const signatures = secrets.map(({ secret }) => `v1,${createHmac('sha256', signingKey(secret)).update(signed).digest('base64')}`)
  return { 'webhook-id': eventId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') }
}

// Secrets seen: a handful per endpoint. Past this many (endpoints churned), start again.
const MAX_KEYS = 1000
const keys = new Map<string, KeyObject>()

/**
 * The secret as a KeyObject, made once: createHmac turns a Buffer key into a KeyObject on
 * every call, which costs several times the signature itself.
 */
function signingKey(secret: string): KeyObject {
  let key = keys.get(secret)
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear()
    key = createSecretKey(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    keys.set(secret, key)
  }
  return key
}
