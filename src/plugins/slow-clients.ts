import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'
import { clientErrorProblem } from './problem.ts'

/**
 * Fastify's server options that bound a slow client. A request must arrive whole within
 * REQUEST_TIMEOUT_SECONDS: Node then raises ERR_HTTP_REQUEST_TIMEOUT, which
 * clientErrorProblem answers 408. A socket silent for CONNECTION_TIMEOUT_SECONDS is
 * handled by `answerSilentClients`.
 */
export function clientTimeouts({ requestTimeoutMs, connectionTimeoutMs }: Config['http']) {
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    // Node looks for overdue requests only every connectionsCheckingInterval (30 s by
    // default), which would let a request outlive a short timeout by up to that much.
    http: { requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, Math.floor(requestTimeoutMs / 4)) },
  }
}

const timedOut = () => Object.assign(new Error('The request was not received in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })

/**
 * What a socket silent for CONNECTION_TIMEOUT_SECONDS gets. Node's default destroys it
 * whatever it was doing. Here a request still arriving is answered 408 (problem+json)
 * and closed, an idle keep-alive socket is closed, and a socket whose request has fully
 * arrived is left open: that silence is ours, the client is waiting for the answer, and
 * a slow handler has limits of its own (statement timeout, shutdown bound).
 */
export function answerSilentClients(server: Server): void {
  // The request in flight on a socket, or how many bytes it had read when its last answer was sent.
  const sockets = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse } | number>()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    sockets.set(socket, { req, res })
    res.once('finish', () => sockets.set(socket, socket.bytesRead))
  })
  server.on('timeout', (socket: Socket) => {
    const current = sockets.get(socket) ?? 0
    if (typeof current === 'number') {
      // Bytes since the last answer are the headers of a request that stopped arriving.
      if (socket.bytesRead > current) clientErrorProblem(timedOut(), socket)
      else socket.destroy()
    } else if (!current.req.complete) {
      if (current.res.headersSent) socket.destroy()
      else clientErrorProblem(timedOut(), socket)
    }
  })
}

/**
 * `app.close()` waits for every open connection, so one client trickling a body would
 * hold a shutdown for as long as it likes. After `graceMs` the connections still open
 * are closed (their requests get no answer) and the close completes.
 */
export async function closeWithin(app: FastifyInstance, graceMs: number, onForce: () => void): Promise<void> {
  const timer = setTimeout(() => {
    onForce()
    app.server.closeAllConnections()
  }, graceMs)
  try {
    await app.close()
  } finally {
    clearTimeout(timer)
  }
}
