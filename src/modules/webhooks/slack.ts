import type { EventRow } from '../../db/schema/index.ts'
import type { EventReader } from '../events/events.service.ts'

interface LeadSummary {
  id?: string
  email?: string
  company?: string | null
  country?: string | null
  source?: string | null
  score?: number
  tier?: string | null
  status?: string
}
interface EventData {
  lead?: LeadSummary
  rep?: { name?: string; email?: string }
  handoff?: { deadlineAt?: string } | null
  rule?: { name?: string | null }
  acceptUrl?: string | null
  reason?: string
  endpoint?: { origin?: string; description?: string | null }
}

// Slack's mrkdwn treats these three as control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const who = (lead: LeadSummary | undefined) => escape(lead?.company ? `${lead.email} (${lead.company})` : (lead?.email ?? 'a lead'))

/**
 * A Slack incoming-webhook message for an event: for lead.assigned a summary of the lead
 * (with a one-click Accept button when the endpoint is opted in to accept links: anyone in
 * the channel could press it), for every other type one short line.
 */
export function slackMessage(event: Pick<EventRow, 'type' | 'data'>, { acceptLinks }: EventReader): string {
  const data = event.data as EventData
  if (event.type === 'lead.assigned') return JSON.stringify(assignedMessage(acceptLinks ? data : { ...data, acceptUrl: null }))
  const text = `${event.type}: ${shortLine(event.type, data)}`
  return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] })
}

function assignedMessage(data: EventData) {
  const { lead, rep, handoff, acceptUrl } = data
  const deadline = handoff?.deadlineAt ? ` — accept by ${handoff.deadlineAt.slice(11, 16)} UTC` : ''
  const text = `New lead for ${escape(rep?.name ?? 'a rep')}: ${who(lead)}${deadline}`
  const fields = [
    ['Score', lead?.score],
    ['Tier', lead?.tier],
    ['Country', lead?.country],
    ['Source', lead?.source],
    ['Rule', data.rule?.name],
  ].filter(([, value]) => value !== undefined && value !== null)
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      ...(fields.length
        ? [{ type: 'section', fields: fields.map(([name, value]) => ({ type: 'mrkdwn', text: `*${name}*\n${escape(String(value))}` })) }]
        : []),
      ...(acceptUrl
        ? [
            {
              type: 'actions',
              elements: [{ type: 'button', style: 'primary', text: { type: 'plain_text', text: 'Accept' }, url: acceptUrl }],
            },
          ]
        : []),
    ],
  }
}

function shortLine(type: string, data: EventData): string {
  const rep = data.rep?.name ? escape(data.rep.name) : undefined
  switch (type) {
    case 'handoff.accepted':
      return `${who(data.lead)} accepted by ${rep ?? 'the rep'}`
    case 'handoff.declined':
      return `${who(data.lead)} declined by ${rep ?? 'the rep'}${data.reason ? `: ${escape(data.reason)}` : ''}`
    case 'handoff.expired':
      return `${who(data.lead)} was not accepted in time by ${rep ?? 'the rep'}`
    case 'webhook_endpoint.disabled':
      return (
        `${escape(data.endpoint?.description ?? data.endpoint?.origin ?? 'an endpoint')} is ` +
        `disabled${data.reason ? `: ${escape(data.reason)}` : ''}`
      )
    case 'rep.auto_away':
      return `${rep ?? 'a rep'} is set away${data.reason ? ` (${escape(data.reason)})` : ''}`
    default:
      return data.lead
        ? `${who(data.lead)}, now ${data.lead.status ?? 'updated'}${data.reason ? ` (${escape(data.reason)})` : ''}`
        : escape(data.reason ?? 'see the event feed')
  }
}
