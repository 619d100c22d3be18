import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound, invalidFields } from '../../lib/errors.ts'
import { appendEvents } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { snapshot, toLead } from '../leads/lead.ts'
import { lockLead, pendingOfferOf, updateLead } from '../leads/leads.repo.ts'
import type { OutcomeBody } from './outcomes.schemas.ts'

/**
 * Deal results reported by a CRM: what the conversion model learns from. Reporting the
 * same result again changes nothing and sends nothing; a different one (a lost deal
 * reopened and won) replaces it with its own event.
 */
export function createOutcomesService({ db, clock, boss, logger }: Pick<ServiceDeps, 'db' | 'clock' | 'boss' | 'logger'>) {
  return {
    async report(leadId: string, body: OutcomeBody) {
      const now = clock.now()
      const closedAt = body.closedAt ? new Date(body.closedAt) : now
      if (closedAt.getTime() > now.getTime() + 60_000) {
        throw invalidFields('The outcome is in the future.', [{ pointer: '/closedAt', detail: 'must not be in the future' }])
      }
      const amount = body.amount ?? null
      return db.transaction(async (tx) => {
        const lead = await lockLead(tx, leadId)
        if (!lead) throw new NotFound(`No lead with id ${leadId}.`)
        const same =
          lead.outcome === body.result &&
          lead.outcomeAmount === amount &&
          (body.closedAt === undefined || lead.outcomeAt?.getTime() === closedAt.getTime())
        if (same) return toLead(lead, await pendingOfferOf(tx, leadId))
        const updated = await updateLead(tx, leadId, { outcome: body.result, outcomeAmount: amount, outcomeAt: closedAt, updatedAt: now })
        const data = {
          lead: snapshot(updated),
          outcome: body.result,
          amount,
          closedAt: closedAt.toISOString(),
          opportunity: updated.opportunity ?? null,
        }
        await appendEvents(tx, { boss, logger }, [newEvent(body.result === 'won' ? 'lead.won' : 'lead.lost', data, now, leadId)])
        return toLead(updated, await pendingOfferOf(tx, leadId))
      })
    },
  }
}

export type OutcomesService = ReturnType<typeof createOutcomesService>
