// The fuzz phase of the drill (issue 9): bad requests across every route of the published
// OpenAPI document (wrong types, missing members, huge strings, deep JSON, unicode, broken
// framing, missing or refused tokens, other reps' ids) must each be answered with a 4xx
// application/problem+json, and the database must be exactly as it was before them.
import http from 'node:http'
import { seeded } from '../src/lib/random.ts'
import { createFixtures, probeRoles } from './fuzz-fixtures.ts'
import { generate, type FuzzRequest } from './fuzz-requests.ts'
import { differences, snapshot, type Snapshot } from './fuzz-snapshot.ts'
import { loadRoutes } from './fuzz-spec.ts'

/** What the fuzz sent, how it was answered, and every answer or table that broke the contract. */
export interface FuzzResult {
  requests: number
  byStatus: Record<string, number>
  failures: string[]
}

const CONCURRENCY = 8
const REQUEST_TIMEOUT_MS = 30_000
const SETTLE_TIMEOUT_MS = 15_000
// Above this, bodies go with `Expect: 100-continue` (as curl sends them): see sendLarge.
const LARGE_BODY_BYTES = 200 * 1024

type Outcome = { status: number; contentType: string; text: string } | { error: string }

/**
 * Makes fixtures through the API, waits for the database to go quiet, fingerprints it,
 * sends `count` generated bad requests (reproducible from `seed`), then compares.
 */
export async function runFuzz(options: {
  base: string
  databaseUrl: string
  secret: string
  count: number
  seed: number
}): Promise<FuzzResult> {
  const { base, databaseUrl, secret, count, seed } = options
  const routes = await loadRoutes()
  const fixtures = await createFixtures(base, secret, seed)
  const roles = await probeRoles(base, routes, fixtures)
  const { requests, skipped } = generate(count, seeded(seed), routes, roles, fixtures)
  if (skipped.length) fixtures.notes.push(`nothing to spoil (public, no input): ${skipped.join(', ')}`)
  for (const note of fixtures.notes) console.error(`fuzz: ${note}`)

  const before = await settled(databaseUrl)
  const byStatus: Record<string, number> = {}
  const failures: Failure[] = []
  await inParallel(requests, CONCURRENCY, async (request, index) => {
    const outcome = await send(base, request)
    const key = 'error' in outcome ? 'no answer' : String(outcome.status)
    byStatus[key] = (byStatus[key] ?? 0) + 1
    const text = judge(request, outcome)
    const defect = request.mutation.split(' ')[0]
    if (text) failures.push({ index, kinds: [`${defect} ${key}`, `${request.method} ${request.route} ${defect} ${key}`], text })
  })
  // Anything a request set in motion (a job, a delivery) gets its chance to land before the comparison.
  const after = await settled(databaseUrl)
  const [firstChange, ...otherChanges] = differences(before, after)
  const [variety, repeats] = varietyFirst(failures)
  return { requests: requests.length, byStatus, failures: [...(firstChange ? [firstChange] : []), ...variety, ...otherChanges, ...repeats] }
}

interface Failure {
  index: number
  kinds: string[]
  text: string
}

/**
 * In request order, but one failure of each defect and status first, then one of each
 * route, defect and status: the head of the list shows the variety. Returns those and the repeats.
 */
function varietyFirst(failures: Failure[]): [string[], string[]] {
  const tiers: string[][] = [[], [], []]
  const seen = [new Set<string>(), new Set<string>()]
  for (const { kinds, text } of failures.sort((a, b) => a.index - b.index)) {
    const tier = kinds.findIndex((kind, i) => !seen[i]!.has(kind))
    kinds.forEach((kind, i) => seen[i]!.add(kind))
    tiers[tier === -1 ? 2 : tier]!.push(text)
  }
  return [[...tiers[0]!, ...tiers[1]!], tiers[2]!]
}

async function send(base: string, request: FuzzRequest): Promise<Outcome> {
  if (request.body !== undefined && Buffer.byteLength(request.body) > LARGE_BODY_BYTES) return sendLarge(base, request)
  try {
    const res = await fetch(`${base}${request.url}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() }
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    return { error: `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message ?? ''})` : ''}` }
  }
}

/**
 * A refused upload is answered (413) and the connection closed at once, by design
 * (fastify: the client may still be sending). A client still writing then sees EPIPE
 * instead of the answer, now and then. So large bodies wait for `100 Continue` and a
 * moment more: a server that answers early is heard, one that wants the body gets it.
 */
function sendLarge(base: string, request: FuzzRequest): Promise<Outcome> {
  const body = Buffer.from(request.body ?? '')
  return new Promise((resolve) => {
    let answered = false
    const req = http.request(new URL(request.url, base), {
      method: request.method,
      headers: { ...request.headers, 'content-length': String(body.length), expect: '100-continue' },
      timeout: REQUEST_TIMEOUT_MS,
    })
    req.on('continue', () => setTimeout(() => answered || req.end(body), 100))
    req.on('response', (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      )
      res.on('error', (error) => resolve({ error: error.message }))
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')))
    req.on('error', (error: NodeJS.ErrnoException) => answered || resolve({ error: `${error.message} (${error.code ?? ''})` }))
  })
}

/** Why this answer breaks the contract, or undefined when it is a proper refusal. */
export function judge(request: FuzzRequest, outcome: Outcome): string | undefined {
  const body = request.body === undefined ? '' : ` body ${JSON.stringify(clip(request.body.toString(), 120))}`
  const head = `${request.method} ${request.route} [${request.mutation}] ${clip(request.url, 120)}${body}`
  if ('error' in outcome) return `${head} → no answer: ${outcome.error}`
  const { status, contentType, text } = outcome
  const excerpt = JSON.stringify(clip(text, 200))
  if (status < 400 || status >= 500) return `${head} → ${status}: ${excerpt}`
  if (request.htmlAllowed && contentType.startsWith('text/html')) return undefined
  if (!contentType.startsWith('application/problem+json'))
    return `${head} → ${status} as ${contentType || 'no content type'}, not problem+json: ${excerpt}`
  let problem: { status?: unknown; title?: unknown; code?: unknown; detail?: unknown }
  try {
    problem = JSON.parse(text) as typeof problem
  } catch {
    return `${head} → ${status} problem+json that is not JSON: ${excerpt}`
  }
  if (
    problem.status !== status ||
    typeof problem.title !== 'string' ||
    !problem.title ||
    typeof problem.code !== 'string' ||
    !problem.code
  ) {
    return `${head} → ${status} problem lacks status/title/code: ${excerpt}`
  }
  if (request.expect && !request.expect.includes(status)) {
    return `${head} → ${status} ${problem.code} where the README promises ${request.expect.join(' or ')}: ${JSON.stringify(clip(String(problem.detail), 160))}`
  }
  return undefined
}

/** A snapshot once two taken half a second apart agree (background work from the fixtures or the fuzz has landed). */
async function settled(databaseUrl: string): Promise<Snapshot> {
  let previous = await snapshot(databaseUrl)
  for (let waited = 0; waited < SETTLE_TIMEOUT_MS; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const current = await snapshot(databaseUrl)
    if (differences(previous, current).length === 0) return current
    previous = current
  }
  console.error('fuzz: the database did not settle within 15 s; comparing anyway')
  return previous
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}

const clip = (text: string, length: number) => (text.length > length ? `${text.slice(0, length)}…(${text.length})` : text)
