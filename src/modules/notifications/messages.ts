// What a notification says, whatever carries it: a subject line, a few lines of facts
// about the lead, and the link to act on. Times are in the rep's own zone, with how long
// is left ("in 25 minutes"), since a rep on a phone reads "10:30 UTC" as a puzzle.
import type { NotificationMessage } from '../../db/schema/notifications.ts'

type LeadData = {
  email?: string
  firstName?: string | null
  lastName?: string | null
  company?: string | null
  employees?: number | null
  country?: string | null
  source?: string | null
  tier?: string | null
  score?: number | null
}
type HandoffData = { id: string; repId: string; deadlineAt: string }
export type EventData = {
  lead?: LeadData
  handoff?: HandoffData | null
  rule?: { name?: string }
  reason?: string
  task?: { dueAt?: string }
  overdueBySeconds?: number
}

export interface Message {
  subject: string
  /** Short facts, one per line, in the order a rep needs them. */
  lines: string[]
  /** The handoff page, to accept, and opened on its decline form; none when there is nothing to do. */
  links: { accept: string; decline: string } | null
}

/** Who the lead is, in a few words: "Ada Lovelace at Acme" or their email. */
export function leadLabel(lead: LeadData | undefined): string {
  const name = [lead?.firstName, lead?.lastName].filter(Boolean).join(' ')
  const who = name || lead?.email || 'A lead'
  return lead?.company ? `${who} at ${lead.company}` : who
}

/** "Tue 10:30 CET" in the rep's zone. */
export function localTime(at: Date, timeZone: string): string {
  const parts = formatter('en-GB', timeZone, { weekday: 'short', hour: '2-digit', minute: '2-digit' }).formatToParts(at)
  const part = (type: string) => parts.find((p) => p.type === type)?.value
  return `${part('weekday')} ${part('hour')}:${part('minute')} ${zoneName(at, timeZone)}`
}

// Each English locale knows the abbreviations of its own region's zones (en-US: EST, en-GB:
// CET, en-IN: IST…); elsewhere the offset (GMT+9) is what is left.
const ZONE_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU']

function zoneName(at: Date, timeZone: string): string {
  const names = ZONE_LOCALES.map(
    (locale) =>
      formatter(locale, timeZone, { timeZoneName: 'short' })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value,
  )
  return names.find((name) => name && !/^(GMT|UTC)[+-]/.test(name)) ?? names[0] ?? timeZone
}

// Building a DateTimeFormat costs a hundred times formatting with one (measured: a fifth of a
// notification's CPU): one per locale, zone and shape, for the life of the process.
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone} ${JSON.stringify(options)}`
  let found = formatters.get(key)
  if (!found) formatters.set(key, (found = new Intl.DateTimeFormat(locale, { timeZone, ...options })))
  return found
}

/** "in 25 minutes", "in 2 hours 5 minutes", "now". */
export function timeLeft(from: Date, to: Date): string {
  const minutes = Math.round((to.getTime() - from.getTime()) / 60_000)
  if (minutes <= 0) return 'now'
  const hours = Math.floor(minutes / 60)
  const parts = [
    hours && `${hours} hour${hours === 1 ? '' : 's'}`,
    minutes % 60 && `${minutes % 60} minute${minutes % 60 === 1 ? '' : 's'}`,
  ]
  return `in ${parts.filter(Boolean).join(' ')}`
}

const MOVED_ON: Record<string, string> = {
  'handoff.expired': 'The time to accept ran out, so it went to the next rep.',
  'handoff.withdrawn': 'The offer was taken back before you answered.',
  'lead.reassigned': 'It was reassigned to someone else.',
}

/** The message of one notification, from its event, for a rep in `timeZone`, at `now`. */
export function messageFor(
  kind: NotificationMessage,
  event: { type: string; data: EventData },
  { timeZone, now, link }: { timeZone: string; now: Date; link: string | null },
): Message {
  const { lead, handoff, rule } = event.data
  const who = leadLabel(lead)
  const deadline = handoff ? new Date(handoff.deadlineAt) : null
  const by = deadline ? `${localTime(deadline, timeZone)} (${timeLeft(now, deadline)})` : ''
  const facts = leadFacts(lead)
  const act = link ? { accept: link, decline: `${link}&action=decline` } : null
  switch (kind) {
    case 'offer':
    case 'escalation':
      return {
        subject: `${kind === 'offer' ? 'New lead' : 'Escalated to you'}: ${who}, accept by ${by}`,
        lines: [
          ...facts,
          kind === 'offer' ? `Why you: the rule "${rule?.name ?? 'routing'}"` : `Why you: ${event.data.reason ?? 'no rep took it'}`,
          `Accept by: ${by}`,
        ],
        links: act,
      }
    case 'reminder':
      return { subject: `Reminder: ${who} is waiting, accept by ${by}`, lines: [...facts, `Accept by: ${by}`], links: act }
    case 'moved_on':
      return { subject: `Moved on: ${who}`, lines: [MOVED_ON[event.type] ?? 'It is no longer yours to answer.', ...facts], links: null }
    case 'needs_assignment':
      return {
        subject: `Needs a person: ${who}`,
        lines: [
          `Nobody is left to offer it to${event.data.reason ? ` (${event.data.reason})` : ''}.`,
          ...facts,
          'Reassign it: GET /v1/leads?status=escalated, then POST /v1/leads/:id/reassign.',
        ],
        links: null,
      }
    case 'contact_overdue': {
      const due = event.data.task?.dueAt ? new Date(event.data.task.dueAt) : null
      return {
        subject: `First call overdue: ${who}`,
        lines: [...facts, ...(due ? [`The first call was due ${localTime(due, timeZone)}`] : [])],
        links: null,
      }
    }
  }
}

function leadFacts(lead: LeadData | undefined): string[] {
  if (!lead) return []
  const size = lead.employees ? `${lead.employees} employees` : null
  return [
    `Lead: ${leadLabel(lead)}`,
    ...(lead.email ? [`Email: ${lead.email}`] : []),
    ...([size, lead.country].some(Boolean) ? [[size, lead.country].filter(Boolean).join(', ')] : []),
    ...(lead.source ? [`Source: ${lead.source}`] : []),
    ...(lead.tier ? [`Intent: ${lead.tier}${lead.score === null || lead.score === undefined ? '' : `, score ${lead.score}`}`] : []),
  ]
}
