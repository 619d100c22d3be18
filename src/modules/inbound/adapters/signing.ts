import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Verification } from './adapter.ts'

/** HMAC-SHA256 of the parts, in order, as one message (strings are taken as UTF-8). */
export function hmacSha256(key: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
  const hmac = createHmac('sha256', key)
  for (const part of parts) hmac.update(part)
  return hmac.digest()
}

/**
 * Constant-time equality of two strings or buffers. Different lengths are unequal at once:
 * the length of a signature is no secret, and timingSafeEqual throws on it.
 */
export function safeEqual(given: string | Buffer, expected: string | Buffer): boolean {
  const a = typeof given === 'string' ? Buffer.from(given) : given
  const b = typeof expected === 'string' ? Buffer.from(expected) : expected
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A timestamp header in milliseconds since the epoch, or undefined when it is not one. */
export function parseMillis(value: string): number | undefined {
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined
}

export function missing(detail: string): Verification {
  return { ok: false, reason: 'missing_signature', detail }
}

export function bad(detail: string): Verification {
  return { ok: false, reason: 'bad_signature', detail }
}

/** Refuses a signed timestamp further than `toleranceMs` from now in either direction. */
export function checkFreshness(timestampMs: number, now: Date, toleranceMs: number, header: string): Verification {
  return Math.abs(now.getTime() - timestampMs) > toleranceMs
    ? { ok: false, reason: 'stale_timestamp', detail: `${header} is more than ${toleranceMs / 60_000} minutes away from now` }
    : { ok: true }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
