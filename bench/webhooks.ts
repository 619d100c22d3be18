// Webhook delivery, run as its own process against the running service (which runs the
// delivery workers): a receiver on 127.0.0.1 answering 200, one endpoint subscribed to it.
// Throughput: 10 transactions of 1,000 events each, written with the service's own
// appendEvents (so fan-out and queueing are the real ones); deliveries/s = distinct
// events received ÷ (last receipt − first commit). Latency: 300 events committed one by
// one, 20 ms apart; latency = receipt − commit, both on this process's clock.
// Prints {throughput: {deliveries, seconds, perS}, latency: {count, p50Ms, p99Ms}}.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { createDb } from '../src/db/client.ts'
import { createBoss } from '../src/lib/boss.ts'
import { createLogger } from '../src/lib/logger.ts'
import { appendEvents } from '../src/modules/events/events.repo.ts'
import { newEvent } from '../src/modules/events/events.service.ts'
import { apiAs } from './api.ts'

const { values } = parseArgs({ options: { url: { type: 'string' }, admin: { type: 'string' }, db: { type: 'string' } } })
const BATCHES = 10
const PER_BATCH = 1000
const LATENCY_EVENTS = 300

const received = new Map<string, number>()
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const id = String(req.headers['webhook-id'])
    if (!received.has(id)) received.set(id, Date.now())
    res.writeHead(200).end()
  })
})
server.keepAliveTimeout = 60_000
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as AddressInfo).port

const call = apiAs(values.url!, values.admin!)
const endpoint = await call('POST', '/v1/webhook-endpoints', {
  url: `http://127.0.0.1:${port}/bench`,
  eventTypes: ['lead.received'],
  description: 'bench',
})

const { db, pool } = createDb(values.db!, { max: 4 })
const boss = createBoss(values.db!, { role: 'api' })
await boss.start()
const write = async (count: number, tag: string): Promise<string[]> => {
  const events = Array.from({ length: count }, (_, i) => newEvent('lead.received', { bench: tag, n: i }, new Date()))
  await db.transaction((tx) => appendEvents(tx, { boss, logger: createLogger('silent') }, events))
  return events.map((e) => e.id)
}
const waitFor = async (ids: string[], ms: number) => {
  for (const until = Date.now() + ms; Date.now() < until && !ids.every((id) => received.has(id));) await sleep(20)
}

// Throughput.
const started = Date.now()
const bulk: string[] = []
for (let b = 0; b < BATCHES; b++) bulk.push(...(await write(PER_BATCH, `bulk-${b}`)))
await waitFor(bulk, 120_000)
const lastReceipt = Math.max(...bulk.map((id) => received.get(id) ?? 0))
const delivered = bulk.filter((id) => received.has(id)).length
const seconds = (lastReceipt - started) / 1000

// First-attempt latency, one event per transaction.
const latencies: number[] = []
const single: string[] = []
for (let i = 0; i < LATENCY_EVENTS; i++) {
  const [id] = await write(1, `single-${i}`)
  const committed = Date.now()
  single.push(id!)
  void waitFor([id!], 10_000).then(() => received.has(id!) && latencies.push(received.get(id!)! - committed))
  await sleep(20)
}
await waitFor(single, 10_000)
await sleep(50)
latencies.sort((a, b) => a - b)
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN

await call('DELETE', `/v1/webhook-endpoints/${String(endpoint.id)}`).catch(() => {})
await boss.stop({ graceful: false })
await pool.end()
server.closeAllConnections()
server.close()
console.log(
  JSON.stringify({
    throughput: { deliveries: delivered, expected: bulk.length, seconds, perS: Math.round(delivered / seconds) },
    latency: { count: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99) },
  }),
)
