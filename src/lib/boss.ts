import { PgBoss, type Queue } from 'pg-boss'
import type { Config } from '../config.ts'
import { connectionClass } from '../db/client.ts'

/** The pg-boss schema inside Baton's database. */
export const BOSS_SCHEMA = 'pgboss'

/**
 * Every queue Baton uses, created up front at start so `send` never races `createQueue`.
 * Later issues add their queues here (deadlines, re-routing, webhook deliveries).
 */
export const QUEUES = {
  /** Hourly: forget Idempotency-Keys older than 24 h. */
  'idempotency-sweep': { retryLimit: 2, retryDelay: 60 },
  /** One unrouted lead, tried again when its earliest candidate's working window opens. */
  'route-lead': { retryLimit: 10, retryDelay: 5, retryBackoff: true },
  /**
   * Every unrouted lead, tried again after a change that may make someone eligible
   * (a rep, team, account or ruleset changed). Stately: at most one waiting, so a burst
   * of changes costs one sweep.
   */
  'routing-sweep': { policy: 'stately', retryLimit: 5, retryDelay: 5, retryBackoff: true },
  /**
   * A handoff's acceptance deadline; the job id is the handoff id. Retried at once and then
   * backing off (1 s, 2 s, 4 s … at most 5 min): a late expiry is a late lead, but a handoff
   * that fails every time must not spin. Past the retries, the timer backstop takes it up.
   */
  // A worker that dies mid-job stops heartbeating; the job is then retried, and the
  // handler's lock-and-recheck makes the retry expire the handoff at most once.
  'handoff-deadline': { retryLimit: 20, retryDelay: 1, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 60, heartbeatSeconds: 10 },
  /**
   * Every minute: fires the deadlines, overdue tasks and unrouted retries whose job was lost
   * (handoffs/timer-backstop.ts). Stately: a run that overlaps the next costs one, not two.
   */
  'timer-backstop': { policy: 'stately', retryLimit: 1, retryDelay: 30, expireInSeconds: 300 },
  /**
   * Attempts of webhook deliveries: a job names the deliveries it attempts (first attempts of
   * deliveries made together share one). The retry schedule is Baton's own
   * (WEBHOOK_RETRY_SCHEDULE): pg-boss retries only a batch whose worker died or whose results
   * could not be written. NOTIFY wakes workers at once.
   */
  'webhook-attempts': { retryLimit: 20, retryDelay: 5, expireInSeconds: 90, heartbeatSeconds: 10, notify: true },
  /**
   * The same, one delivery per job, as versions before 2026-12-01 queued them: still worked, so
   * an older instance's jobs are attempted. A new queue rather than a new data shape on this
   * one: an older worker would complete a job it cannot read and leave its deliveries pending.
   */
  'webhook-delivery': { retryLimit: 20, retryDelay: 5, expireInSeconds: 90, heartbeatSeconds: 10, notify: true },
  /** Every 10 minutes: fail, visibly, the deliveries a job left pending when it ended (webhooks/stuck-deliveries.ts). */
  'webhook-stuck-sweep': { retryLimit: 2, retryDelay: 60 },
  /** The conversion model's scheduled retraining (PREDICTIVE_TRAIN_CRON). */
  'predictive-train': { retryLimit: 2, retryDelay: 300, expireInSeconds: 900 },
  /** A first-contact task's due time; the job id is the task id. */
  'contact-overdue': { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 300 },
} satisfies Record<string, Omit<Queue, 'name'>>

export type QueueName = keyof typeof QUEUES

/**
 * A pg-boss on Baton's database. Only worker instances supervise (maintenance,
 * monitoring) and run schedules; API-only instances just enqueue.
 */
export function createBoss(url: string, { role, max = 5, prepare = true }: { role: Config['role']; max?: number; prepare?: boolean }): PgBoss {
  const works = role !== 'api'
  return new PgBoss({
    connectionString: url,
    // pg-boss's own statements too, prepared once per connection (db/client.ts): pg-boss
    // hands its options to pg.Pool, whose `Client` option this is, though pg-boss does not
    // type it (test/lib/fetchers.test.ts checks it still arrives).
    ...({ Client: connectionClass(prepare) } as object),
    schema: BOSS_SCHEMA,
    application_name: 'baton-jobs',
    max,
    migrate: true,
    supervise: works,
    // A job whose worker died (no heartbeat for 10 s) is only put back by a supervise pass,
    // and the default passes are a minute apart: a deadline would then fire a minute late.
    ...(works ? { superviseIntervalSeconds: 10, monitorIntervalSeconds: 10 } : {}),
    schedule: works,
    // Jobs on a `notify` queue still NOTIFY when they land, but pg-boss's listener would
    // wake every fetcher of the queue; workers listen with lib/fetchers.ts instead, which
    // wakes one, so a webhook delivery starts the moment its event commits.
    useListenNotify: false,
  })
}

/**
 * Creates the queues, and brings existing ones to the options above: createQueue leaves a
 * queue that exists as it was, so a retry policy changed in a release would otherwise reach
 * only new databases. (A queue's policy cannot change after creation.)
 */
export async function createQueues(boss: PgBoss): Promise<void> {
  for (const [name, options] of Object.entries(QUEUES)) {
    await boss.createQueue(name, options)
    const { policy: _fixed, ...updatable } = options as Omit<Queue, 'name'>
    await boss.updateQueue(name, updatable)
  }
}
