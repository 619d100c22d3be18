import type { ServiceDeps } from '../../lib/deps.ts'
import { unroutedPastRetry } from '../leads/leads.repo.ts'
import { awayPastReturn } from '../reps/reps.repo.ts'
import type { RepsService } from '../reps/reps.service.ts'
import type { UnroutedRouter } from '../routing/unrouted.ts'
import { tasksPastTimer } from '../tasks/tasks.repo.ts'
import type { TasksService } from '../tasks/tasks.service.ts'
import { pendingPastDeadline, remindersPastDue } from './handoffs.repo.ts'
import type { HandoffsService } from './handoffs.service.ts'
import type { NotificationSender } from '../notifications/notification-sender.ts'
import { pendingNotificationsDue } from '../notifications/notifications.repo.ts'

/**
 * A timer counts as lost once it is this far past due with its state unchanged. A live job
 * fires within a second and retries within seconds, so 30 s never races one that is merely busy;
 * and if it does, both sides lock and re-check, so the loser does nothing.
 */
export const LOST_AFTER_MS = 30_000
/** Per kind and run: a backlog larger than this is worked off over the next runs, a minute apart. */
const BATCH = 500

/** What one run found and did, per kind of timer. */
export type BackstopRun = Record<TimerKind, { found: number; done: number; failed: number }>
export type TimerKind = 'handoff_deadline' | 'handoff_reminder' | 'contact_overdue' | 'unrouted_retry' | 'rep_away_until' | 'notification'

/**
 * The backstop for every timed job (the `timer-backstop` job, once a minute): a deadline,
 * overdue or retry job that was lost (a deleted row, a failed run past its retries, a
 * restore from backup) must not leave a handoff pending, a task unannounced or a lead
 * waiting for ever. It finds what is overdue in the tables themselves, not in pg-boss,
 * and hands each item to the same handler its job would have run; each item in its own
 * transaction, so one that keeps failing holds up none of the others.
 */
export function createTimerBackstop(
  { db, clock, logger, metrics }: Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'metrics'>,
  {
    handoffs,
    tasks,
    unrouted,
    reps,
    notifier,
  }: {
    handoffs: Pick<HandoffsService, 'expire' | 'remind'>
    tasks: Pick<TasksService, 'overdue'>
    unrouted: Pick<UnroutedRouter, 'retryLead'>
    reps: Pick<RepsService, 'returnFromAway'>
    notifier: Pick<NotificationSender, 'send'>
  },
) {
  const kinds: Record<TimerKind, { find: (before: Date) => Promise<string[]>; fire: (id: string) => Promise<unknown> }> = {
    handoff_deadline: { find: (before) => pendingPastDeadline(db, before, BATCH), fire: (id) => handoffs.expire(id) },
    // A reminder is named by its handoff and its place: "<handoffId> <beforeSeconds>".
    handoff_reminder: {
      find: async (before) => (await remindersPastDue(db, before, BATCH)).map((r) => `${r.handoffId} ${r.beforeSeconds}`),
      fire: (item) => {
        const [handoffId, beforeSeconds] = item.split(' ')
        return handoffs.remind(handoffId!, Number(beforeSeconds))
      },
    },
    contact_overdue: { find: (before) => tasksPastTimer(db, before, BATCH), fire: (id) => tasks.overdue(id) },
    unrouted_retry: { find: (before) => unroutedPastRetry(db, before, BATCH), fire: (id) => unrouted.retryLead(id) },
    rep_away_until: { find: (before) => awayPastReturn(db, before, BATCH), fire: (id) => reps.returnFromAway(id) },
    notification: { find: (before) => pendingNotificationsDue(db, before, BATCH), fire: (id) => notifier.send([id]) },
  }

  return {
    async run(): Promise<BackstopRun> {
      const before = new Date(clock.now().getTime() - LOST_AFTER_MS)
      const run = {} as BackstopRun
      for (const [kind, { find, fire }] of Object.entries(kinds) as Array<[TimerKind, (typeof kinds)[TimerKind]]>) {
        const ids = await find(before)
        const tally = { found: ids.length, done: 0, failed: 0 }
        for (const id of ids) {
          try {
            await fire(id)
            tally.done++
          } catch (error) {
            tally.failed++
            logger.error({ err: error, kind, id }, 'timer backstop: this item failed; it is tried again on the next run')
          }
        }
        if (tally.found > 0) {
          metrics.timersRecovered.inc({ kind }, tally.done)
          logger.warn({ kind, ...tally, first: ids.slice(0, 10) }, 'timer backstop: items past due with no job to fire them')
        }
        run[kind] = tally
      }
      return run
    },
  }
}

export type TimerBackstop = ReturnType<typeof createTimerBackstop>
