// What goes wrong during the load, each step triggered by how far the load has come so
// that it lands in the middle whatever the machine's speed: a handoff's deadline job
// deleted, one instance SIGKILLed and restarted on its port, the webhook receiver down for
// a while, the database restarted.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Cluster } from '../scripts/scratch-cluster.ts'
import type { Journal } from './http.ts'
import type { Receiver } from './receiver.ts'
import type { Instance } from './services.ts'

/** One chaos step: when it began and when things were whole again (ms on the journal's clock). */
export interface Step {
  name: string
  startMs: number
  endMs?: number
  note?: string
}

export interface ChaosOptions {
  journal: Journal
  /** Fraction of the load done, 0…1. */
  progress: () => number
  instances: Instance[]
  victim: Instance
  receiver: Receiver
  cluster: Cluster
  signal: AbortSignal
  /** Filled in as the steps happen, so a step that fails part-way is still on record. */
  steps: Step[]
  databaseUrl: string
  /** Reps that never answer: a handoff of theirs can only end by expiring. */
  silentReps: string[]
  /** Set to the handoff whose deadline job the drill deleted. */
  lostJob: { handoffId?: string }
}

const LOST_JOB_AT = 0.1
const KILL_AT = 0.2
const KILL_DOWN_MS = 3000
const RECEIVER_AT = 0.35
const RECEIVER_DOWN_MS = 10_000
const DATABASE_AT = 0.6
const DATABASE_DOWN_MS = 3000
const READY_WITHIN_MS = 40_000

export async function runChaos({
  journal,
  progress,
  instances,
  victim,
  receiver,
  cluster,
  signal,
  steps,
  databaseUrl,
  silentReps,
  lostJob,
}: ChaosOptions): Promise<void> {
  const reached = async (fraction: number) => {
    while (progress() < fraction && !signal.aborted) await sleep(100)
    if (signal.aborted) throw new Error('interrupted')
  }

  await reached(LOST_JOB_AT)
  const lost: Step = { name: "one pending handoff's deadline job deleted from pgboss.job", startMs: journal.now() }
  steps.push(lost)
  lostJob.handoffId = await deleteDeadlineJob(databaseUrl, silentReps)
  lost.endMs = journal.now()
  lost.note = lostJob.handoffId ? `handoff ${lostJob.handoffId}` : 'no pending handoff of a silent rep was found'

  await reached(KILL_AT)
  const kill: Step = { name: `SIGKILL ${victim.name}, restart after ${KILL_DOWN_MS / 1000} s`, startMs: journal.now() }
  steps.push(kill)
  await victim.kill()
  await sleep(KILL_DOWN_MS)
  victim.start()
  await victim.waitReady(READY_WITHIN_MS)
  kill.endMs = journal.now()

  await reached(RECEIVER_AT)
  const outage: Step = { name: `webhook receiver down ${RECEIVER_DOWN_MS / 1000} s`, startMs: journal.now() }
  steps.push(outage)
  const receiverBack = receiver.outage(RECEIVER_DOWN_MS).then(
    () => void (outage.endMs = journal.now()),
    (error: unknown) => void (outage.note = `could not listen again: ${error instanceof Error ? error.message : String(error)}`),
  )

  await reached(DATABASE_AT)
  const restart: Step = { name: `database restart (down ≥ ${DATABASE_DOWN_MS / 1000} s)`, startMs: journal.now() }
  steps.push(restart)
  if (cluster.embedded) {
    const down = await cluster.restart(DATABASE_DOWN_MS)
    // Whole again: every instance answers /readyz (its pool and pg-boss reconnected).
    await Promise.all(instances.map((instance) => instance.waitReady(READY_WITHIN_MS)))
    restart.endMs = journal.now()
    restart.note = `unreachable ${down.toFixed(1)} s`
  } else {
    restart.endMs = restart.startMs
    restart.note = 'skipped: DATABASE_URL is an external server the drill cannot restart'
  }
  await receiverBack
}

/** Deletes the deadline job of a pending handoff of a rep who never answers; its id. */
async function deleteDeadlineJob(databaseUrl: string, silentReps: string[]): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string }>(
      `
      delete from pgboss.job where name = 'handoff-deadline' and id = (
        select id from handoffs where status = 'pending' and rep_id = any($1) and deadline_at > now() + interval '500 milliseconds' order by deadline_at limit 1)
      returning id`,
      [silentReps],
    )
    return rows[0]?.id
  } finally {
    await client.end()
  }
}
