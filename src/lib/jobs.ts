import type { Db as BossDb, PgBoss } from 'pg-boss'
import { executeByText, type Tx } from '../db/client.ts'
import type { QueueName } from '../jobs/index.ts'

/**
 * pg-boss's statements inside the caller's transaction: the job exists if and only if the
 * transaction commits. Run as named prepared statements (db/client.ts, executeByText): planning
 * pg-boss's job insert cost about as much as running it.
 */
export const inTx = (tx: Tx): BossDb => ({ executeSql: (text, values) => executeByText(tx, text, values ?? []) })

// A job may run a hair before its time by this service's clock (machines' clocks differ
// by milliseconds); within this it counts as on time.
const EARLY_TOLERANCE_MS = 1000

/** The latest due time a job running at `now` counts as on time for. */
export const latestOnTime = (now: Date): Date => new Date(now.getTime() + EARLY_TOLERANCE_MS)

/**
 * Sends a job in the caller's transaction (it exists if and only if the transaction
 * commits), due at `at`. The delay is measured on the service clock and handed to
 * pg-boss as seconds from now, so the job's time follows the clock its state was
 * decided with (tests move that clock; pg-boss's own clock is the database's).
 */
export async function sendInTx(
  tx: Tx,
  boss: PgBoss,
  queue: QueueName,
  data: object,
  { at, now, id }: { at?: Date; now?: Date; id?: string } = {},
): Promise<void> {
  const seconds = at && now ? Math.max(0, (at.getTime() - now.getTime()) / 1000) : 0
  await boss.send(queue, data, { ...(id ? { id } : {}), ...(seconds > 0 ? { startAfter: seconds } : {}), db: inTx(tx) })
}

/**
 * For a timed job's handler: when the job ran before `due` (beyond the tolerance), books
 * a fresh job for the rest of the wait and answers true; the handler then does nothing.
 */
export async function rebookIfEarly(tx: Tx, boss: PgBoss, queue: QueueName, data: object, due: Date, now: Date): Promise<boolean> {
  if (due <= latestOnTime(now)) return false
  await sendInTx(tx, boss, queue, data, { at: due, now })
  return true
}
