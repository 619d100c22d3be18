// An SMTP server on 127.0.0.1 that takes every message, for the demo and the bench: it notes
// each one's Subject (decoded: a name with an umlaut makes it MIME words) and when its
// Message-ID arrived (ms since the epoch). smtp-server and mailparser are the nodemailer project's.
import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** `subjects`: parse each message for its Subject too (the demo counts kinds; the bench only times). */
export async function startSmtpSink({ subjects: withSubjects = false }: { subjects?: boolean } = {}) {
  const arrivals = new Map<string, number>()
  const subjects: string[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const at = Date.now()
        const text = Buffer.concat(chunks)
        const id = /^Message-ID: <([^@>]+)@/im.exec(text.toString('utf8'))?.[1]
        if (id) arrivals.set(id, at)
        callback()
        if (withSubjects)
          void simpleParser(text, { skipHtmlToText: true, skipTextToHtml: true }).then((mail) => subjects.push(mail.subject ?? ''))
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    arrivals,
    subjects,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
