import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/** Answers one request: set the status, headers and body on `res` (and end it, or not, to hang). */
export type Answer = (received: Received, res: ServerResponse, index: number) => void

const okAnswer: Answer = (_received, res) => res.writeHead(200).end('ok')

/**
 * A real HTTP server on 127.0.0.1 that records every request it gets. `answer` decides
 * each response (default 200 "ok"); it can be changed between steps of a test. Closed
 * (hanging requests included) when `t` ends.
 */
export async function startReceiver(t: Test, answer: Answer = okAnswer) {
  const received: Received[] = []
  let current = answer
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const entry = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      received.push(entry)
      current(entry, res, received.length - 1)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    port,
    received,
    answerWith(next: Answer) {
      current = next
    },
  }
}
