import { createHash } from 'node:crypto'
import type { PgBoss, WorkHandler, WorkOptions } from 'pg-boss'

/**
 * The channel pg-boss NOTIFYs on, with the queue's name as payload, when a job lands on
 * a queue created with `notify` (pg-boss's plans.notifyChannelSql, computed here because
 * pg-boss does not export it; test/lib/wake-one.test.ts listens on it to hold the two together).
 */
export const bossNotifyChannel = (schema: string): string =>
  `pgboss_${createHash('sha224').update(schema).digest('hex').slice(0, 24)}`

interface Fetchers {
  /** A job landed: one idle fetcher fetches now (or the first busy one to finish). */
  wakeOne(): void
  /** Notifications may have been missed: every fetcher fetches once. */
  wakeAll(): void
}

/**
 * Job wake-ups that cost one fetch, not one per fetcher. pg-boss's own listener wakes
 * every worker of a queue on each NOTIFY: with four delivery fetchers, each committed lead
 * cost one useful fetch and three empty ones, which halved ingestion with webhooks on
 * (npm run bench, 62 → 91 leads/s at concurrency 8 with one fetcher woken). pg-boss is
 * therefore started without its listener (lib/boss.ts); this one listens on the same
 * channel and wakes one idle fetcher of the queue named.
 */
export function createWakeOne(boss: PgBoss, schema: string) {
  const queues = new Map<string, Fetchers>()
  let listening: { close(): Promise<void> } | undefined

  return {
    /**
     * `fetchers` fetchers of `queue`, each fetching and running its own batches (a slow batch
     * holds up only its fetcher). The first notification wakes one at once; those within the
     * next `gatherMs` wake one more when that time is up, so under load a fetch gathers
     * several producers' jobs. Other options are pg-boss's, at a local concurrency of one.
     */
    async work<T>(queue: string, { fetchers: count, gatherMs = 0, ...options }: WorkOptions & { fetchers: number; gatherMs?: number }, handler: WorkHandler<T, void>): Promise<void> {
      const ids: string[] = []
      const idle = new Set<string>()
      // A notification while every fetcher was busy: the first to finish fetches again at once.
      let missed = false
      let next = 0
      for (let i = 0; i < count; i++) {
        const id: string = await boss.work<T>(queue, { ...options, localConcurrency: 1 }, async (jobs) => {
          idle.delete(id)
          try {
            await handler(jobs)
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
      const wakeIdle = () => {
        // In turn among the idle ones: a fetcher woken a moment ago may still be fetching.
        for (let tried = 0; tried < ids.length; tried++) {
          const id = ids[next]!
          next = (next + 1) % ids.length
          if (idle.has(id)) return boss.notifyWorker(id)
        }
        missed = true
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
      })
    },

    /** Starts listening (after the queues' fetchers are registered); reconnects on its own. */
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
      await listening?.close()
    },
  }
}
