// The notifications part of the bench (issue 21): every bench rep given an email target (or
// none), and how long after a lead's commit its offer mail reached the SMTP sink.
import pg from 'pg'
import { apiAs } from './api.ts'

export { startSmtpSink } from '../scripts/smtp-sink.ts'

/** Gives every rep one email target (`on`) or none; the number of reps. */
export async function setEmailTargets(base: string, adminToken: string, on: boolean): Promise<number> {
  const admin = apiAs(base, adminToken)
  const { data } = (await admin('GET', '/v1/reps?limit=500')) as { data: Array<{ id: string }> }
  for (const [i, rep] of data.entries()) {
    await admin('PATCH', `/v1/reps/${rep.id}`, {
      notificationTargets: on ? [{ kind: 'email', address: `rep${i}@mail.bench.example` }] : [],
    })
  }
  return data.length
}

/**
 * The offers made since `since`, each from its lead's arrival (created_at, set before the
 * commit: the figure is a little pessimistic) to its mail's arrival at the sink, once every
 * one has arrived or `timeoutMs` has passed.
 */
export async function firstMailLatency(databaseUrl: string, since: Date, arrivals: Map<string, number>, timeoutMs = 60_000) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string; at: Date }>(
      `select n.id, l.created_at as at from notifications n join leads l on l.id = n.lead_id
       where n.message = 'offer' and n.created_at >= $1`,
      [since],
    )
    const until = Date.now() + timeoutMs
    while (rows.some((r) => !arrivals.has(r.id)) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200))
    const latencies = rows.flatMap((r) => (arrivals.has(r.id) ? [arrivals.get(r.id)! - r.at.getTime()] : [])).sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
    return { offers: rows.length, mailed: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99) }
  } finally {
    await client.end()
  }
}
