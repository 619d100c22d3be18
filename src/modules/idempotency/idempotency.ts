import { createHash } from 'node:crypto'
import type { Queryable, Tx } from '../../db/client.ts'
import { Conflict, Unprocessable } from '../../lib/errors.ts'
import * as repo from './idempotency.repo.ts'

/** How long a key is remembered (IETF draft-ietf-httpapi-idempotency-key-header). */
export const KEY_LIFETIME_MS = 24 * 3600 * 1000

/** An Idempotency-Key as seen by the server: whose it is, and what request it stood for. */
export interface IdempotencyRequest {
  /** Route and caller (idempotencyScope): the same key from another credential or on another route is another key. */
  scope: string
  key: string
  /** Hash of the request body, order of members ignored. */
  fingerprint: string
}

/** The answer that goes back (and that a retry gets again, byte for byte). */
export interface StoredAnswer {
  status: number
  body: string
  replayed: boolean
}

/**
 * The namespace of one caller's keys on one route: its role and the credential it presented
 * (RequestPrincipal.credential: `sub:…`, `jti:…`, `token:…`, later `key:…`). Never the role
 * alone: every token without a `sub` would share one namespace and replay each other's answers.
 * The credential goes last, so whatever characters it holds cannot blur the parts before it.
 */
export function idempotencyScope(route: string, caller: { role: string; credential: string }): string {
  return `${route} ${caller.role} ${caller.credential}`
}

/**
 * Runs `work` once per key inside the caller's transaction. Same key and body again →
 * the stored answer; same key, other body → 422; same key while the first request is
 * still running → 409 at once. Nothing is stored unless the work commits.
 */
export async function runOncePerKey(
  tx: Tx,
  request: IdempotencyRequest,
  now: Date,
  work: () => Promise<{ status: number; body: string }>,
): Promise<StoredAnswer> {
  if (!(await repo.tryKeyLock(tx, request.scope, request.key))) {
    throw new Conflict('A request with this Idempotency-Key is still being processed; retry after it finishes.')
  }
  const since = new Date(now.getTime() - KEY_LIFETIME_MS)
  const previous = await repo.findKey(tx, request.scope, request.key, since)
  if (previous) {
    if (previous.fingerprint !== request.fingerprint) {
      throw new Unprocessable('This Idempotency-Key was already used with a different request body; use a new key for a new request.')
    }
    return { status: previous.status, body: previous.body, replayed: true }
  }
  const answer = await work()
  await repo.storeKey(tx, { ...request, status: answer.status, body: answer.body, createdAt: now })
  return { ...answer, replayed: false }
}

/** Forgets keys older than their lifetime (run hourly by the worker). */
export async function sweepExpiredKeys(db: Queryable, now: Date): Promise<number> {
  return repo.deleteKeysBefore(db, new Date(now.getTime() - KEY_LIFETIME_MS))
}

/** SHA-256 of the body with object members sorted, so {"a":1,"b":2} and {"b":2,"a":1} are one request. */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
