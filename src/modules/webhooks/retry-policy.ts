import type { DeliveryStatus } from '../../db/schema/index.ts'
import type { AttemptResult } from './sender.ts'
import { jittered } from '../../lib/random.ts'

/** A receiver's Retry-After is honoured up to an hour; asking for more still gets a try within the hour. */
const RETRY_AFTER_MAX_SECONDS = 3600
const RETRY_AFTER_MIN_SECONDS = 1
/** An endpoint failing this long with no success in between is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000

/** Where a delivery stands after an attempt. */
export interface NextStep {
  status: DeliveryStatus
  scheduleStep: number
  /** The next attempt's delay; null when there is none. */
  delaySeconds: number | null
}

/**
 * After an attempt: 2xx succeeds; 410 fails for good (the endpoint goes too); anything
 * else waits for the schedule's next step (±20 % jitter, so failed receivers are not hit
 * by every retry at once) or for the receiver's Retry-After, until the steps run out.
 * A manual attempt uses no step: the delivery goes on where its schedule was.
 */
export function nextStep(
  { scheduleStep }: { scheduleStep: number },
  result: AttemptResult,
  { schedule, manual, random = Math.random }: { schedule: number[]; manual: boolean; random?: () => number },
): NextStep {
  const step = manual ? scheduleStep : scheduleStep + 1
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300)
    return { status: 'succeeded', scheduleStep: step, delaySeconds: null }
  if (result.statusCode === 410 || step >= schedule.length) return { status: 'failed', scheduleStep: step, delaySeconds: null }
  if (result.retryAfterSeconds !== undefined) {
    return {
      status: 'pending',
      scheduleStep: step,
      delaySeconds: Math.min(RETRY_AFTER_MAX_SECONDS, Math.max(RETRY_AFTER_MIN_SECONDS, result.retryAfterSeconds)),
    }
  }
  // The schedule's first entry is the first attempt's (at once); a retry waits at least the second's.
  const base = schedule[Math.max(step, 1)]
  if (base === undefined) return { status: 'failed', scheduleStep: step, delaySeconds: null }
  return { status: 'pending', scheduleStep: step, delaySeconds: jittered(base, random) }
}
