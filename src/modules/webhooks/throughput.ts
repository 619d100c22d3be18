// How fast webhook deliveries go out, in one place. The arithmetic, per worker instance:
//
// - A lead's events to one endpoint share first-attempt jobs, DELIVERIES_PER_JOB to a job:
//   pg-boss then writes, fetches and completes one job row per group instead of one per
//   delivery. Retries keep a job each (their delays are jittered, so none share a time).
// - DELIVERY_FETCHERS fetchers each take up to JOBS_PER_FETCH jobs, so at most
//   DELIVERY_FETCHERS × JOBS_PER_FETCH × DELIVERIES_PER_JOB = 4 × 12 × 4 = 192 attempts are
//   in flight. A slow receiver holds up its own fetcher's batch (WEBHOOK_TIMEOUT_SECONDS at
//   most), not the other three.
// - A job landing NOTIFYs; one idle fetcher wakes at once, and jobs landing within
//   GATHER_MS of that wake one more when it is up, so under load a fetch takes several
//   leads' deliveries rather than one lead's four.
// - Polling is only for retries, which are due later: the fetchers look in turn, one every
//   POLL_SECONDS / DELIVERY_FETCHERS.
// - To one receiver origin at most CONNECTIONS_PER_ORIGIN attempts are in flight, on as many
//   keep-alive connections; the rest wait for a connection (as long as an attempt's own
//   time limit, at most) before their time limit starts.
// - The legacy queue holds only jobs an older version queued (one delivery each): one
//   fetcher, LEGACY_JOBS_PER_FETCH at a time.
// What these give on this project's machine is in the README's Performance section.

export const DELIVERIES_PER_JOB = 4
export const DELIVERY_FETCHERS = 4
export const JOBS_PER_FETCH = 12
export const GATHER_MS = 25
export const POLL_SECONDS = 2
export const CONNECTIONS_PER_ORIGIN = 32
export const LEGACY_JOBS_PER_FETCH = 50
