// Email notifications over SMTP (nodemailer): a plain-text and an HTML part, and a
// Message-ID made from the notification's id, so a mail sent twice (a crash between the
// server's 250 and our commit) is one message to the mail client.
import nodemailer from 'nodemailer'
import type { Message } from './messages.ts'

/** How an attempt ended: sent; or failed, retryable (SMTP 4xx, no connection) or not (5xx). */
export type SendResult = { ok: true } | { ok: false; retry: boolean; error: string }

export interface Mailer {
  send(mail: { id: string; to: string; message: Message }): Promise<SendResult>
  close(): void
}

/** A mailer for `smtpUrl` (smtp://user:pass@host:587, smtps://… for TLS from the start). */
export function createMailer({ smtpUrl, from, publicUrl }: { smtpUrl: string; from: string; publicUrl: string }): Mailer {
  // One pool of 10 connections per process (notification-sender sends 10 at a time): a burst of offers reuses them.
  const transport = nodemailer.createTransport(`${smtpUrl}${smtpUrl.includes('?') ? '&' : '?'}pool=true&maxConnections=10`)
  const domain = new URL(publicUrl).hostname
  return {
    async send({ id, to, message }) {
      try {
        await transport.sendMail({
          from,
          to,
          subject: message.subject,
          messageId: `<${id}@${domain}>`,
          text: plainText(message),
          html: html(message),
        })
        return { ok: true }
      } catch (error) {
        return classify(error)
      }
    },
    close: () => transport.close(),
  }
}

/** SMTP 4xx is "try again later"; 5xx is final; no answer at all (refused, timed out) is worth another try. */
export function classify(error: unknown): SendResult {
  const { responseCode, code, message } = error as { responseCode?: number; code?: string; message?: string }
  const text = (message ?? String(error)).slice(0, 500)
  if (responseCode !== undefined) return { ok: false, retry: responseCode < 500, error: `SMTP ${responseCode}: ${text}` }
  return { ok: false, retry: true, error: code ? `${code}: ${text}` : text }
}

function plainText(message: Message): string {
  const links = message.links ? ['', `Accept: ${message.links.accept}`, `Decline: ${message.links.decline}`] : []
  return [...message.lines, ...links, '', '— Baton'].join('\n')
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

const BUTTON = 'padding:10px 16px;border-radius:6px;text-decoration:none;display:inline-block;margin-right:8px'

function html(message: Message): string {
  const lines = message.lines.map((line) => `<p style="margin:0 0 8px">${escape(line)}</p>`).join('')
  const links = message.links
    ? `<p style="margin:16px 0"><a href="${escape(message.links.accept)}" style="background:#1d4ed8;color:#fff;${BUTTON}">Accept</a>` +
      `<a href="${escape(message.links.decline)}" style="border:2px solid #1d4ed8;color:#1d4ed8;${BUTTON}">Decline</a></p>`
    : ''
  return (
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:16px;color:#111;max-width:560px">` +
    `<h1 style="font-size:18px">${escape(message.subject)}</h1>${lines}${links}</body></html>`
  )
}
