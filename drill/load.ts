// The load: every planned lead POSTed with its Idempotency-Key, `concurrency` at a time,
// alternating between the instances. A failed connection or a 5xx means "maybe done,
// maybe not", so the client does what a careful integrator does: it tries again later
// on the other instance with the same key and body, and takes the first 2xx.
import { setTimeout as sleep } from 'node:timers/promises'
import { call, json, type Journal } from './http.ts'
import type { PlannedLead } from './leads.ts'

/** How one planned lead ended, seen from the client. */
export interface Submission {
  /** The 2xx status that settled it (201 new, 200 duplicate); undefined: it never got one. */
  status?: number
  leadId?: string
  duplicate?: boolean
  /** The answer was a stored one (`Idempotent-Replayed`): an earlier attempt had committed. */
  replayed?: boolean
  attempts: number
  /** A 4xx that retrying cannot fix, or the retries ran out. */
  failure?: string
}

export interface LoadOptions {
  planned: PlannedLead[]
  instances: Array<{ name: string; base: string }>
  token: string
  concurrency: number
  journal: Journal
  /** Wall-clock time (Date.now()) after which no new attempt starts. */
  giveUpAt: number
  signal: AbortSignal
}

const MAX_ATTEMPTS = 12

/** Runs the load; `done()` tells the chaos schedule how far it has come. */
export function startLoad(options: LoadOptions): { done: () => number; finished: Promise<Submission[]> } {
  const { planned, concurrency } = options
  const results: Submission[] = planned.map(() => ({ attempts: 0 }))
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < planned.length && !options.signal.aborted) {
      const lead = planned[next++]!
      await submit(options, lead, results[lead.index]!)
      done++
    }
  }
  const finished = Promise.all(Array.from({ length: concurrency }, worker)).then(() => results)
  return { done: () => done / planned.length, finished }
}

async function submit({ instances, token, journal, giveUpAt, signal }: LoadOptions, lead: PlannedLead, result: Submission): Promise<void> {
  let target = lead.index % instances.length
  while (result.attempts < MAX_ATTEMPTS && !signal.aborted) {
    if (Date.now() > giveUpAt) {
      result.failure = `gave up after ${result.attempts} attempts: the load's time ran out`
      return
    }
    result.attempts++
    const outcome = await call(journal, instances[target]!, token, 'POST', '/v1/leads', lead.body, { 'idempotency-key': lead.key })
    if (outcome.kind === 'answer' && outcome.status < 300) {
      const answer = json<{ lead: { id: string }; duplicate?: boolean }>(outcome)
      Object.assign(result, {
        status: outcome.status,
        leadId: answer?.lead.id,
        duplicate: answer?.duplicate === true,
        replayed: outcome.headers.get('idempotent-replayed') === 'true',
      })
      return
    }
    // 409: the same key is still being processed (perhaps on a connection the kill cut,
    // which PostgreSQL has yet to notice). Anything else in 4xx is a real refusal.
    if (outcome.kind === 'answer' && outcome.status < 500 && outcome.status !== 409) {
      result.failure = `${outcome.status}: ${outcome.text.slice(0, 300)}`
      return
    }
    target = (target + 1) % instances.length
    await sleep(Math.min(3000, 250 * 2 ** Math.min(result.attempts, 4)), undefined, { signal }).catch(() => {})
  }
  result.failure ??= `no 2xx after ${result.attempts} attempts`
}
