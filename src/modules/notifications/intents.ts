// Which events a rep is told of, and which rep: read off the event alone, so the fan-out
// costs nothing for events nobody is told of.
import type { NotificationMessage } from '../../db/schema/notifications.ts'

/** One rep (null: the admins) to tell of one event; their targets decide how (notifications.repo.ts). */
export interface NotificationIntent {
  eventId: string
  leadId: string | null
  repId: string | null
  message: NotificationMessage
}

type EventLike = { id: string; type: string; leadId?: string | null; data: unknown }
type Ref = { id: string } | null | undefined
type Data = {
  rep?: Ref
  rule?: { name?: string }
  from?: Ref
  to?: Ref
  mode?: string
  task?: { repId?: string }
  manager?: Ref
  handoff?: { repId?: string } | null
  needsAssignment?: boolean
}

/**
 * The reps an event concerns, with what to tell them:
 * - `offer`: a lead offered to them (lead.assigned), `escalation` when it comes to them as a manager;
 * - `reminder`: their offer's deadline approaches;
 * - `moved_on`: an offer of theirs ran out or was taken back, or a lead of theirs was reassigned away;
 * - `contact_overdue`: the first call they owe is late (and their manager, to follow up);
 * - `needs_assignment`, to the admins: an escalated lead with nobody left to offer it to.
 * A rep told twice of one change in one batch (a withdrawn offer, then the reassign it was
 * part of) is told once.
 */
export function notificationIntents(events: EventLike[]): NotificationIntent[] {
  const intents: NotificationIntent[] = []
  const told = new Set<string>()
  const tell = (event: EventLike, repId: string | null | undefined, message: NotificationMessage) => {
    const key = `${event.leadId ?? ''}:${repId}:${message}`
    if (repId === undefined || told.has(key)) return
    told.add(key)
    intents.push({ eventId: event.id, leadId: event.leadId ?? null, repId, message })
  }
  for (const event of events) {
    const data = event.data as Data
    switch (event.type) {
      case 'lead.assigned':
        tell(event, data.rep?.id, data.rule?.name === 'escalation' ? 'escalation' : 'offer')
        break
      case 'handoff.reminder':
        tell(event, data.rep?.id, 'reminder')
        break
      case 'handoff.expired':
      case 'handoff.withdrawn':
        tell(event, data.rep?.id, 'moved_on')
        break
      case 'lead.reassigned':
        if (data.from && data.from.id !== data.to?.id) tell(event, data.from.id, 'moved_on')
        break
      case 'lead.contact_overdue':
        tell(event, data.task?.repId, 'contact_overdue')
        tell(event, data.manager?.id, 'contact_overdue')
        break
      case 'lead.escalated':
        // Nobody is left to offer it to: the admins' targets hear of it.
        if (data.needsAssignment === true) tell(event, null, 'needs_assignment')
        break
    }
  }
  return intents
}
