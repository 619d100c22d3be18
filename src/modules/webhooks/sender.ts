import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import ipaddr from 'ipaddr.js'
import { Agent, request } from 'undici'
import type { ErrorClass } from '../../db/schema/index.ts'
import { nonPublicReason } from '../../lib/ssrf.ts'
import { createOriginSlots } from './origin-slots.ts'
import { CONNECTIONS_PER_ORIGIN } from './throughput.ts'

/** What one HTTP attempt came to: the receiver's answer, or why there was none. */
export interface AttemptResult {
  statusCode: number | null
  latencyMs: number
  errorClass: ErrorClass | null
  error: string | null
  /** The first 4 KB of the response body. */
  responseBody: string | null
  /** Seconds the receiver asked us to wait (Retry-After on 429 or 503). */
  retryAfterSeconds?: number
}

const BODY_KEPT_BYTES = 4096

/** Raised by the guarded lookup: the host resolved to an address webhooks may not reach. */
class BlockedAddress extends Error {
  code = 'EBLOCKEDADDRESS'
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * dns.lookup that refuses non-public addresses, used at connect time: a name that was
 * public when the endpoint was saved may resolve to 127.0.0.1 now (DNS rebinding), and
 * this is the address the socket will really use. One bad address refuses the host.
 */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, [])
    const blocked = addresses.map((a) => nonPublicReason(a.address)).find(Boolean)
    if (blocked) return callback(new BlockedAddress(`${hostname} resolves to a non-public address (${blocked})`), [])
    if (options.all) return callback(null, addresses)
    const first = addresses[0]!
    callback(null, first.address, first.family)
  })
}

/**
 * Posts webhook bodies: keep-alive connections per origin, no redirects followed (a 3xx
 * is an answer like any other), a hard time limit per attempt (from when a connection is
 * its own; it waits for one at most as long again), and — unless private targets are
 * allowed — the SSRF guard applied to the address actually connected to.
 */
export function createSender({ allowPrivate, timeoutMs }: { allowPrivate: boolean; timeoutMs: number }) {
  const slots = createOriginSlots(CONNECTIONS_PER_ORIGIN)
  const agent = new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs, ...(allowPrivate ? {} : { lookup: guardedLookup }) },
  })

  async function post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const release = await slots.take(originOf(url), timeoutMs)
    if (!release) {
      const error = `no connection to the receiver came free within ${timeoutMs / 1000} s (${CONNECTIONS_PER_ORIGIN} busy)`
      return { statusCode: null, latencyMs: timeoutMs, errorClass: 'timeout', error, responseBody: null }
    }
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    try {
      // An IP literal never goes through the lookup: it is checked here instead.
      const literal = allowPrivate ? undefined : literalProblem(url)
      if (literal) throw new BlockedAddress(literal)
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Baton-Webhooks/1', ...headers },
        body,
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const responseBody = await firstBytes(response.body)
      const ok = response.statusCode >= 200 && response.statusCode < 300
      const retryAfter =
        response.statusCode === 429 || response.statusCode === 503 ? retryAfterSeconds(response.headers['retry-after']) : undefined
      return {
        statusCode: response.statusCode,
        latencyMs: elapsed(),
        responseBody,
        errorClass: ok ? null : 'http',
        error: ok ? null : `HTTP ${response.statusCode}`,
        ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      }
    } catch (error) {
      const { errorClass, message } = classify(error, timeoutMs)
      return { statusCode: null, latencyMs: elapsed(), errorClass, error: storable(message).slice(0, 1000), responseBody: null }
    } finally {
      release()
    }
  }

  return { post, close: () => agent.close() }
}

export type Sender = ReturnType<typeof createSender>

/** The origin attempts queue under; an unparsable URL queues alone (and fails in the request). */
function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

function literalProblem(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  if (!ipaddr.isValid(host)) return undefined
  const reason = nonPublicReason(host)
  return reason ? `${host} is a non-public address (${reason})` : undefined
}

/** Reads at most 4 KB of the body and lets the rest go. */
async function firstBytes(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size >= BODY_KEPT_BYTES) {
      body.destroy()
      break
    }
  }
  if (size === 0) return null
  // Cutting at 4 KB may split a UTF-8 character; the replacement character marks it.
  return storable(Buffer.concat(chunks).subarray(0, BODY_KEPT_BYTES).toString('utf8'))
}

// PostgreSQL text cannot hold NUL: one binary answer would fail the whole batch's write.
const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD')

// An HTTP date (RFC 9110's IMF-fixdate, e.g. "Wed, 21 Oct 2026 07:28:00 GMT"); Date.parse
// alone would also read junk such as "2.5" or "-1" as a date in 2001.
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/

/** Retry-After as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text)
  if (!HTTP_DATE.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000)
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|EPROTO$)/

/** The error class an operator can act on: dns | connect | tls | timeout (http is a received answer). */
export function classify(error: unknown, timeoutMs: number): { errorClass: ErrorClass; message: string } {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.code ?? e.cause?.code ?? ''
  const message = e.message ?? String(error)
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code)) {
    return { errorClass: 'timeout', message: `no answer within ${timeoutMs / 1000} s` }
  }
  if (code === 'EBLOCKEDADDRESS' || code === 'ENOTFOUND' || code === 'ENODATA' || code.startsWith('EAI_')) {
    return { errorClass: 'dns', message: code === 'EBLOCKEDADDRESS' ? message : `${code}: ${message}` }
  }
  if (TLS_CODE.test(code)) return { errorClass: 'tls', message: `${code}: ${message}` }
  return { errorClass: 'connect', message: code ? `${code}: ${message}` : message }
}
