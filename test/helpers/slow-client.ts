import { connect } from 'node:net'

/** What a raw client saw before the server closed the connection. */
export interface SlowClientResult {
  /** The status of the first answer, if any came. */
  status: number | undefined
  headers: Record<string, string>
  body: string
  /** Milliseconds from the connection to the server closing it (or the client giving up). */
  elapsedMs: number
  /** false: the client gave up after `giveUpMs` with the connection still open. */
  closedByServer: boolean
}

interface Options {
  port: number
  /** The request line and headers, sent at once (the blank line included). */
  head: string
  /** Body bytes sent one at a time, `everyMs` apart, until the server closes; 0: none. */
  bodyBytes?: number
  everyMs?: number
  giveUpMs: number
}

/**
 * A client on a real socket that sends a request's head at once, then its body one byte
 * at a time (or nothing at all), as a slow or hostile client does.
 */
export function slowClient({ port, head, bodyBytes = 0, everyMs = 200, giveUpMs }: Options): Promise<SlowClientResult> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let sent = 0
    let trickle: NodeJS.Timeout | undefined
    const finish = (closedByServer: boolean) => {
      clearInterval(trickle)
      clearTimeout(giveUp)
      socket.destroy()
      resolve({ ...parse(received), elapsedMs: Date.now() - started, closedByServer })
    }
    const giveUp = setTimeout(() => finish(false), giveUpMs)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', () => {}) // a reset is one way of being closed
    socket.on('close', () => finish(true))
    socket.on('connect', () => {
      socket.write(head)
      if (bodyBytes > 0) {
        trickle = setInterval(() => {
          if (sent < bodyBytes && socket.writable) {
            socket.write(sent === 0 ? '{' : ' ')
            sent += 1
          }
        }, everyMs)
      }
    })
  })
}

function parse(raw: string): Pick<SlowClientResult, 'status' | 'headers' | 'body'> {
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return { status: undefined, headers: {}, body: '' }
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n')
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
    }),
  )
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) }
}
