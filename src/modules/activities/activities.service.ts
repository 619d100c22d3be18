import type { Tx } from '../../db/client.ts'
import type { ActivityRow, LeadRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, Forbidden, NotFound, invalidFields, withProblemMembers } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents, type NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { scheduleOf } from '../reps/reps.repo.ts'
import { workingSecondsBetween } from '../reps/working-time.ts'
import { lockPendingOf, releaseLoad, releaseUnworked, updateHandoff } from '../handoffs/handoffs.repo.ts'
import { toHandoff } from '../handoffs/handoff.ts'
import { lockLead, pendingOfferOf, updateLead } from '../leads/leads.repo.ts'
import { snapshot, toLead } from '../leads/lead.ts'
import { requestSweep } from '../routing/unrouted.ts'
import { settleOpenTasks } from '../tasks/tasks.service.ts'
import { insertActivity } from './activities.repo.ts'
import type { ActivityBody, ConvertBody } from './activities.schemas.ts'

const CONTACT_TYPES = new Set(['call', 'email', 'meeting'])

/**
 * What happens to a lead after a rep owns it: activities (the first call, email or
 * meeting is the first contact), conversion to an opportunity, closing. Each locks the
 * lead first; a rep token acts only on leads it owns.
 */
export function createActivitiesService({ db, clock, boss, logger }: Pick<ServiceDeps, 'db' | 'clock' | 'boss' | 'logger'>) {
  async function mustLockOwned(tx: Tx, leadId: string, principal: Principal): Promise<LeadRow> {
    const lead = await lockLead(tx, leadId)
    if (!lead) throw new NotFound(`No lead with id ${leadId}.`)
    if (principal.role === 'rep' && principal.repId !== lead.ownerId)
      throw new Forbidden('This lead is not yours: a rep acts only on leads they accepted.')
    return lead
  }

  return {
    async log(leadId: string, input: ActivityBody, principal: Principal) {
      return db.transaction(async (tx) => {
        const lead = await mustLockOwned(tx, leadId, principal)
        const now = clock.now()
        const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now
        if (occurredAt.getTime() > now.getTime() + 60_000)
          throw invalidFields('The activity is invalid.', [{ pointer: '/occurredAt', detail: 'is in the future' }])
        // Before the lead came in, nothing could have happened to it (and a first contact would count negative).
        if (occurredAt < lead.createdAt)
          throw invalidFields('The activity is invalid.', [
            { pointer: '/occurredAt', detail: `is before the lead came in (${lead.createdAt.toISOString()})` },
          ])
        const contact = CONTACT_TYPES.has(input.type)
        if (contact && !lead.ownerId) {
          throw withProblemMembers(new Conflict('Nobody owns this lead yet: its rep accepts the handoff first, then logs the contact.'), {
            leadStatus: lead.status,
          })
        }
        const row = await insertActivity(tx, {
          id: newId(),
          leadId,
          repId: principal.repId ?? lead.ownerId,
          type: input.type,
          note: input.note ?? null,
          occurredAt,
          createdAt: now,
        })
        const firstContact = contact && lead.status === 'accepted'
        let current = lead
        const events: NewEvent[] = []
        if (firstContact) {
          const schedule = (await scheduleOf(tx, lead.ownerId!))!
          current = await updateLead(tx, leadId, {
            status: 'contacted',
            contactedAt: occurredAt,
            contactWorkingSeconds: workingSecondsBetween(lead.createdAt, occurredAt, schedule),
            updatedAt: now,
          })
          await releaseUnworked(tx, lead.ownerId!)
          events.push(
            newEvent('lead.contacted', { lead: snapshot(current), activity: toActivity(row) }, now, leadId),
            ...(await settleOpenTasks(tx, current, 'completed', now)),
          )
        }
        await appendEvents(tx, { boss, logger }, events)
        return { activity: toActivity(row), lead: toLead(current, await pendingOfferOf(tx, leadId)), firstContact }
      })
    },

    /** An owned lead became an opportunity in the CRM. */
    async convert(leadId: string, input: ConvertBody, principal: Principal) {
      return db.transaction(async (tx) => {
        const lead = await mustLockOwned(tx, leadId, principal)
        if (lead.status !== 'accepted' && lead.status !== 'contacted') {
          throw withProblemMembers(new Conflict(`Only an accepted or contacted lead converts; this one is ${lead.status}.`), {
            leadStatus: lead.status,
          })
        }
        const now = clock.now()
        const opportunity = { ...input, convertedAt: now.toISOString() }
        if (lead.status === 'accepted') await releaseUnworked(tx, lead.ownerId!)
        const converted = await updateLead(tx, leadId, { status: 'converted', opportunity, closedAt: now, updatedAt: now })
        const tasks = await settleOpenTasks(tx, converted, 'completed', now)
        await appendEvents(tx, { boss, logger }, [
          newEvent('lead.converted', { lead: snapshot(converted), opportunity }, now, leadId),
          ...tasks,
        ])
        return toLead(converted, await pendingOfferOf(tx, leadId))
      })
    },

    /** Ends a lead's journey without an opportunity: any waiting handoff is withdrawn, open tasks cancelled. */
    async close(leadId: string, reason: string, principal: Principal) {
      return db.transaction(async (tx) => {
        const lead = await mustLockOwned(tx, leadId, principal)
        if (lead.status === 'converted' || lead.status === 'closed') {
          throw withProblemMembers(new Conflict(`The lead is already ${lead.status}.`), { leadStatus: lead.status })
        }
        const now = clock.now()
        const pending = await lockPendingOf(tx, leadId)
        const withdrawn = pending
          ? await updateHandoff(tx, pending.id, { status: 'cancelled', reason: 'the lead was closed', respondedAt: now, updatedAt: now })
          : undefined
        if (pending) {
          await releaseLoad(tx, pending.repId, 'cancelled')
          // The rep has room again: a lead waiting for capacity may be placed now.
          await requestSweep(tx, boss)
        }
        if (lead.status === 'accepted') await releaseUnworked(tx, lead.ownerId!)
        const closed = await updateLead(tx, leadId, {
          status: 'closed',
          closeReason: reason,
          closedAt: now,
          nextRouteAt: null,
          updatedAt: now,
        })
        await settleOpenTasks(tx, closed, 'cancelled', now)
        await appendEvents(tx, { boss, logger }, [
          newEvent('lead.closed', { lead: snapshot(closed), reason, ...(withdrawn ? { handoff: toHandoff(withdrawn) } : {}) }, now, leadId),
        ])
        return toLead(closed, null) // its offer, if any, was withdrawn above
      })
    },
  }
}

export type ActivitiesService = ReturnType<typeof createActivitiesService>

function toActivity(row: ActivityRow) {
  return {
    id: row.id,
    leadId: row.leadId,
    repId: row.repId,
    type: row.type,
    note: row.note,
    occurredAt: row.occurredAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  }
}
