import { createHash } from 'node:crypto'
import type { PgBoss, WorkHandler, WorkOptions } from 'pg-boss'

/**
 * The channel pg-boss NOTIFYs on, with the queue's name as payload, when a job lands on
 * a queue created with `notify` (pg-boss's plans.notifyChannelSql, computed here because
 * pg-boss does not export it; test/lib/fetchers.test.ts listens on it to hold the two together).
 */
export const bossNotifyChannel = (schema: string): string => `pgboss_${createHash('sha224').update(schema).digest('hex').slice(0, 24)}`

interface Fetchers {
  /** A job landed: one idle fetcher fetches now (or the first busy one to finish). */
  wakeOne(): void
  /** Notifications may have been missed: every fetcher fetches once. */
  wakeAll(): void
  /** Shutting down: a pending gathered wake-up is dropped. */
  stop(): void
}

export interface FetcherOptions {
  /** How many fetchers, each at pg-boss's local concurrency of one. */
  fetchers: number
  /** Notifications within this long of a wake-up wake one more fetcher when it is up. */
  gatherMs?: number
  /** The fetchers poll in turn, evenly spread over the polling interval, not all at once. */
  staggered?: boolean
}

/**
 * Several pg-boss fetchers of one queue, woken and polling as a group:
 * - NOTIFY wakes one of them, not all. pg-boss's own listener wakes every worker of a
 *   queue: with four delivery fetchers, each committed lead cost one useful fetch and three
 *   empty ones, which cost ingestion a third of its rate with webhooks on. pg-boss is
 *   therefore started without its listener (lib/boss.ts); this one listens on the same channel.
 * - Staggered polling: fetchers started together poll together, so a job that falls due
 *   waits up to a whole interval (pg-boss's shortest is 0.5 s). Nudged in turn, four
 *   fetchers polling every 0.5 s look every 125 ms between them, at the same number of fetches.
 */
export function createFetchers(boss: PgBoss, schema: string) {
  const queues = new Map<string, Fetchers>()
  const timers: NodeJS.Timeout[] = []
  let listening: { close(): Promise<void> } | undefined

  return {
    /**
     * Runs `fetchers` fetchers of `queue`, each fetching and running its own batches (a slow
     * batch holds up only its fetcher). Other options are pg-boss's.
     */
    async work<T>(
      queue: string,
      { fetchers: count, gatherMs = 0, staggered = false, ...options }: WorkOptions & FetcherOptions,
      handler: WorkHandler<T, unknown>,
    ): Promise<void> {
      const ids: string[] = []
      const idle = new Set<string>()
      // A notification while every fetcher was busy: the first to finish fetches again at once.
      let missed = false
      let next = 0
      const pollSeconds = options.pollingIntervalSeconds ?? 2
      // Staggered, the nudges below are the polling; pg-boss's own is only a backstop.
      const own = staggered ? { pollingIntervalSeconds: pollSeconds * count } : {}
      for (let i = 0; i < count; i++) {
        const id: string = await boss.work<T>(queue, { ...options, ...own, localConcurrency: 1 }, async (jobs) => {
          idle.delete(id)
          try {
            // Returned as is: with perJobResults, pg-boss settles each job by it.
            return await handler(jobs)
          } finally {
            idle.add(id)
            if (missed) {
              missed = false
              boss.notifyWorker(id)
            }
          }
        })
        ids.push(id)
        idle.add(id)
      }
      /** The next idle fetcher in turn (one woken a moment ago may still be fetching). */
      const nextIdle = (): string | undefined => {
        for (let tried = 0; tried < ids.length; tried++) {
          const id = ids[next]!
          next = (next + 1) % ids.length
          if (idle.has(id)) return id
        }
        return undefined
      }
      const wakeIdle = () => {
        const id = nextIdle()
        if (id) boss.notifyWorker(id)
        else missed = true
      }
      if (staggered) {
        // One idle fetcher in turn every interval/count: a busy one is passed over, so the queue
        // is still looked at that often while some fetchers are running long batches.
        const nudge = setInterval(
          () => {
            const id = nextIdle()
            if (id) boss.notifyWorker(id)
          },
          (pollSeconds * 1000) / count,
        )
        timers.push(nudge.unref())
      }
      let gathering: NodeJS.Timeout | undefined
      let announced = false
      queues.set(queue, {
        wakeOne() {
          if (gathering) return void (announced = true)
          wakeIdle()
          gathering = setTimeout(() => {
            gathering = undefined
            if (announced) {
              announced = false
              wakeIdle()
            }
          }, gatherMs)
        },
        wakeAll: () => ids.forEach((id) => boss.notifyWorker(id)),
        stop: () => clearTimeout(gathering),
      })
    },

    /**
     * Starts listening (after the queues' fetchers are registered); reconnects on its own.
     * Throws if the first LISTEN fails: the fetchers still poll, so the caller may carry on.
     */
    async listen(): Promise<void> {
      const db = boss.getDb()
      if (!db.listen) throw new Error('pg-boss database adapter cannot LISTEN')
      listening = await db.listen(
        bossNotifyChannel(schema),
        (queue) => queues.get(queue)?.wakeOne(),
        // (Re)connected: anything notified while the connection was down is fetched now.
        () => queues.forEach((fetchers) => fetchers.wakeAll()),
      )
    },

    async close(): Promise<void> {
      timers.forEach((timer) => clearInterval(timer))
      queues.forEach((fetchers) => fetchers.stop())
      queues.clear()
      await listening?.close()
    },
  }
}
