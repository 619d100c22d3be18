// A real SMTP server on 127.0.0.1 (smtp-server, from the nodemailer project) that keeps
// what it is sent, parsed by mailparser, and can be told to refuse the next messages with
// an SMTP code (451: try later; 550: never), or be stopped and started again on its port.
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

export async function startSmtp(t: Test) {
  const mails: ParsedMail[] = []
  const refusals: number[] = []
  let server: SMTPServer
  let port = 0

  const listen = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            const code = refusals.shift()
            if (code === undefined) {
              mails.push(mail)
              return callback()
            }
            callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }))
          },
          (error: Error) => callback(error),
        )
      },
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    port = (server.server.address() as AddressInfo).port
  }
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()))
  await listen()
  t.teardown(stop)
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    /** Refuse the next messages with these codes, one each. */
    refuseNext: (...codes: number[]) => refusals.push(...codes),
    stop,
    restart: listen,
  }
}
