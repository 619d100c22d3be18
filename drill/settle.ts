// After the load: wait (bounded) until the system has nothing left in flight: no offer
// still waiting for an answer, no lead between states, no webhook delivery still due.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'

/** What was still in flight at the last look. */
export interface Backlog {
  pendingHandoffs: number
  pendingPastDeadline: number
  leadsInTransit: number
  deliveriesDue: number
}

export async function settle(
  databaseUrl: string,
  { boundMs, signal, onTick }: { boundMs: number; signal: AbortSignal; onTick?: (backlog: Backlog) => void },
): Promise<{ settled: boolean; seconds: number; backlog: Backlog }> {
  const started = performance.now()
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    for (;;) {
      const backlog = await look(client)
      onTick?.(backlog)
      const seconds = (performance.now() - started) / 1000
      if (!backlog.pendingHandoffs && !backlog.leadsInTransit && !backlog.deliveriesDue) return { settled: true, seconds, backlog }
      if (seconds * 1000 > boundMs || signal.aborted) return { settled: false, seconds, backlog }
      await sleep(1000)
    }
  } finally {
    await client.end()
  }
}

async function look(client: pg.Client): Promise<Backlog> {
  const {
    rows: [row],
  } = await client.query<Backlog>(`
    select
      (select count(*)::int from handoffs where status = 'pending') as "pendingHandoffs",
      (select count(*)::int from handoffs where status = 'pending' and deadline_at < now() - interval '2 seconds') as "pendingPastDeadline",
      (select count(*)::int from leads where status in ('received', 'qualified')) as "leadsInTransit",
      (select count(*)::int from webhook_deliveries where status = 'pending') as "deliveriesDue"`)
  return row!
}
