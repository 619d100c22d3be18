import type { Queue, WorkHandler, WorkOptions } from 'pg-boss'
import type { Config } from '../config.ts'
import type { ServiceDeps } from '../lib/deps.ts'
import type { FetcherOptions } from '../lib/fetchers.ts'
import type { Services } from '../services.ts'

/** What a job's handler is built from. */
export interface JobContext {
  services: Services
  deps: ServiceDeps
}

/**
 * One pg-boss queue: its name, its options, when it recurs, how this instance fetches it,
 * and what a job on it does. Handlers re-read their state and do nothing if the world has
 * moved on, so a job that runs twice or late is harmless.
 */
export interface Job<Name extends string = string, Data = object> {
  name: Name
  /** pg-boss's queue options (retries, expiry, policy), applied at every start (createQueues). */
  queue: Omit<Queue, 'name'>
  /** A cron schedule, when the job recurs: pg-boss runs it once per tick across all instances. */
  schedule?: (config: Config) => string
  /** pg-boss's work options; with `fetchers`, that many fetchers woken as a group (lib/fetchers.ts). */
  fetch?: WorkOptions & Partial<FetcherOptions>
  handler(context: JobContext): WorkHandler<Data, unknown>
}
