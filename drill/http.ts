// One HTTP call as the drill sees it: an answer (any status), a connection that failed
// (refused, or cut while in flight: what a SIGKILL does) or no answer in time. Every
// 5xx and every failed connection is written down with when and where it happened.

/** How one call ended. */
export type Outcome =
  { kind: 'answer'; status: number; headers: Headers; text: string } | { kind: 'connection'; error: string } | { kind: 'timeout' }

/** A 5xx answer or a failed connection, kept for the report. */
export interface Incident {
  /** When the call was made and when it ended, in ms since the drill's clock started. */
  startMs: number
  atMs: number
  instance: string
  call: string
  kind: '5xx' | 'connection' | 'timeout'
  status?: number
  /** A 5xx sent as application/problem+json (the service's own answer, not a proxy's or a crash's). */
  problem?: boolean
  detail: string
}

/** The drill's shared record of incidents, and its clock. */
export interface Journal {
  t0: number
  /** Date.now() at t0, to place database timestamps on the drill's clock. */
  wallT0: number
  incidents: Incident[]
  now(): number
}

export function createJournal(): Journal {
  const t0 = performance.now()
  return { t0, wallT0: Date.now(), incidents: [], now: () => Math.round(performance.now() - t0) }
}

const TIMEOUT_MS = 20_000

/** Calls `base + path` as `token`; never throws. Records 5xx, connection failures and timeouts in `journal`. */
export async function call(
  journal: Journal,
  instance: { name: string; base: string },
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = TIMEOUT_MS,
): Promise<Outcome> {
  const startMs = journal.now()
  const what = `${method} ${path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id').split('?')[0]}`
  try {
    const res = await fetch(`${instance.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (res.status >= 500) {
      const problem = res.headers.get('content-type')?.startsWith('application/problem+json') === true
      journal.incidents.push({
        startMs,
        atMs: journal.now(),
        instance: instance.name,
        call: what,
        kind: '5xx',
        status: res.status,
        problem,
        detail: `${problem ? '' : `(${res.headers.get('content-type') ?? 'no content-type'}) `}${text.slice(0, 500)}`,
      })
    }
    return { kind: 'answer', status: res.status, headers: res.headers, text }
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      journal.incidents.push({
        startMs,
        atMs: journal.now(),
        instance: instance.name,
        call: what,
        kind: 'timeout',
        detail: `no answer within ${timeoutMs / 1000} s`,
      })
      return { kind: 'timeout' }
    }
    const detail = describe(error)
    journal.incidents.push({ startMs, atMs: journal.now(), instance: instance.name, call: what, kind: 'connection', detail })
    return { kind: 'connection', error: detail }
  }
}

/** fetch's "fetch failed" hides the socket error in `cause`. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause
  if (cause) return `${cause.code ?? ''} ${cause.message ?? ''}`.trim()
  return error instanceof Error ? error.message : String(error)
}

/** The JSON of an answer, or undefined. */
export function json<T>(outcome: Outcome): T | undefined {
  if (outcome.kind !== 'answer') return undefined
  try {
    return JSON.parse(outcome.text) as T
  } catch {
    return undefined
  }
}
