// The webhook receiver ingestion fans out to during the ingest runs (issue 9: "webhook
// fan-out to a local receiver"): 200 to everything, counting what arrived. Lives in the
// bench's own process; the service delivers to it with its real workers.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { apiAs } from './api.ts'

export async function startIngestReceiver(base: string, adminToken: string) {
  // The service's deliveries come to /ingest; the delivering baseline's to /baseline.
  let received = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url === '/ingest') received++
      res.writeHead(200).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const call = apiAs(base, adminToken)
  // Every lead event: received, scored, qualified, assigned, as a CRM sync would subscribe.
  const endpoint = await call('POST', '/v1/webhook-endpoints', {
    url: `${origin}/ingest`,
    eventTypes: ['lead.*'],
    description: 'bench ingest',
  })
  return {
    endpointId: String(endpoint.id),
    /** Where the delivering baseline (bench/baseline.ts --deliver) posts its webhooks. */
    baselineUrl: `${origin}/baseline`,
    received: () => received,
    /** Waits (at most `ms`) until `count` deliveries arrived, so the next run does not share the CPU with this one's tail. */
    async drain(count: number, ms: number): Promise<boolean> {
      for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (received >= count) return true
      return false
    },
    async close(): Promise<void> {
      // Disabled, not deleted: deleting would cascade to every delivery and attempt of the runs
      // (tens of thousands of rows) while the next part is being measured.
      await call('PATCH', `/v1/webhook-endpoints/${String(endpoint.id)}`, { enabled: false }).catch(() => {})
      server.closeAllConnections()
      server.close()
    },
  }
}
