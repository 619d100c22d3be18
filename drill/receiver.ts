// The integrator's end of the webhooks: a node:http server on 127.0.0.1 that verifies
// every delivery the Standard Webhooks way, fails a seeded ~30 % of them with a 500,
// and can be taken down (listener closed, connections cut: refused) for a while.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { seeded } from '../src/lib/random.ts'

/** What the receiver saw of one event (by `webhook-id`). */
export interface Receipt {
  requests: number
  /** Answered 2xx at least once: delivered. */
  acked: boolean
  type: string
}

export interface Receiver {
  url: string
  /** By event id. */
  receipts: Map<string, Receipt>
  stats: { requests: number; failedOnPurpose: number; badSignature: number; idMismatch: number }
  /** The endpoint's secret, known once the endpoint is created; from then on every request is verified. */
  setSecret(secret: string): void
  /** Closes the listener and cuts every connection for `ms`, then listens on the same port again. */
  outage(ms: number): Promise<void>
  close(): Promise<void>
}

export async function startReceiver({ failRate, seed }: { failRate: number; seed: number }): Promise<Receiver> {
  const random = seeded(seed)
  const receipts = new Map<string, Receipt>()
  const stats = { requests: 0, failedOnPurpose: 0, badSignature: 0, idMismatch: 0 }
  let verifier: Webhook | undefined

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      stats.requests++
      const raw = Buffer.concat(chunks).toString('utf8')
      const id = String(req.headers['webhook-id'] ?? '')
      const body = parse(raw)
      if (body?.id !== id) stats.idMismatch++
      if (verifier && !verifies(verifier, raw, req.headers)) stats.badSignature++
      const receipt = receipts.get(id) ?? { requests: 0, acked: false, type: body?.type ?? '?' }
      receipts.set(id, receipt)
      receipt.requests++
      if (random() < failRate) {
        stats.failedOnPurpose++
        res.writeHead(500, { 'content-type': 'text/plain' }).end('drill: failing on purpose')
        return
      }
      receipt.acked = true
      res.writeHead(204).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/drill`,
    receipts,
    stats,
    setSecret(secret) {
      verifier = new Webhook(secret)
    },
    async outage(ms) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
      await new Promise((resolve) => setTimeout(resolve, ms))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
    },
    async close() {
      if (!server.listening) return
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

function parse(raw: string): { id?: string; type?: string } | undefined {
  try {
    return JSON.parse(raw) as { id?: string; type?: string }
  } catch {
    return undefined
  }
}

function verifies(verifier: Webhook, raw: string, headers: IncomingHttpHeaders): boolean {
  try {
    verifier.verify(raw, {
      'webhook-id': String(headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    })
    return true
  } catch {
    return false
  }
}
