// Slack and Microsoft Teams messages for a rep's own incoming webhook: the same message as
// the email, as Slack Block Kit and as an Adaptive Card, with Accept and Decline buttons
// that open the handoff page (a button that acted by itself would act for whoever clicks).
import type { AttemptResult } from '../webhooks/sender.ts'
import type { SendResult } from './email.ts'
import type { Message } from './messages.ts'

// Slack's mrkdwn treats these three as control characters.
const mrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A Block Kit message: the subject, the facts, and the two buttons. */
export function slackPayload(message: Message) {
  return {
    text: message.subject,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${mrkdwn(message.subject)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: message.lines.map(mrkdwn).join('\n') } },
      ...(message.links
        ? [
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: 'accept',
                  style: 'primary',
                  text: { type: 'plain_text', text: 'Accept' },
                  url: message.links.accept,
                },
                { type: 'button', action_id: 'decline', text: { type: 'plain_text', text: 'Decline' }, url: message.links.decline },
              ],
            },
          ]
        : []),
    ],
  }
}

/** A Teams message with one Adaptive Card (1.4, what Teams renders), its buttons Action.OpenUrl. */
export function teamsPayload(message: Message) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: message.subject, weight: 'Bolder', size: 'Medium', wrap: true },
            ...message.lines.map((line) => ({ type: 'TextBlock', text: line, wrap: true, spacing: 'Small' })),
          ],
          actions: message.links
            ? [
                { type: 'Action.OpenUrl', title: 'Accept', url: message.links.accept, style: 'positive' },
                { type: 'Action.OpenUrl', title: 'Decline', url: message.links.decline },
              ]
            : [],
        },
      },
    ],
  }
}

/** 2xx is sent; 429, 5xx and no answer are worth another try; any other 4xx will not get better. */
export function httpOutcome(result: AttemptResult): SendResult {
  const code = result.statusCode
  if (code !== null && code >= 200 && code < 300) return { ok: true }
  const retry = code === null || code === 429 || code >= 500
  return { ok: false, retry, error: result.error ?? `HTTP ${code}` }
}
