import type { ServiceDeps } from '../../lib/deps.ts'
import { appendEvents } from '../events/events.repo.ts'
import { findLead } from '../leads/leads.repo.ts'
import type { Assigner } from '../routing/assign.ts'
import * as repo from './handoffs.repo.ts'
import { withdrawPending } from './ownership.ts'
import { createRerouter } from './reroute.ts'

/** Handoffs withdrawn per transaction: each is its own, so one lead's trouble holds up no other. */
const BATCH = 100

/**
 * A rep hands their pending offers back (going away, leaving): each pending handoff is
 * withdrawn (handoff.withdrawn) and its lead moves on at once to a rep who has not had it,
 * as after a decline. Each handoff is judged under its own row lock, so a withdrawal racing
 * the rep's accept or the deadline settles to one outcome; one that lost finds nothing to do.
 * Idempotent: a second call finds nothing pending. Returns how many moved.
 */
export function createHandBack(deps: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'boss' | 'logger'> & { assigner: Assigner }) {
  const { db, clock, boss, logger } = deps
  const reroute = createRerouter(deps)

  async function withdraw(id: string, repId: string, reason: string): Promise<boolean> {
    return db.transaction(async (tx) => {
      const handoff = await repo.lockHandoff(tx, id)
      if (!handoff || handoff.status !== 'pending' || handoff.repId !== repId) return false
      const now = clock.now()
      const lead = (await findLead(tx, handoff.leadId))!
      const { withdrawn, event } = await withdrawPending(tx, boss, lead, handoff, reason, now)
      await appendEvents(tx, { boss, logger }, [event, ...(await reroute(tx, lead, withdrawn, now, 'handed_back'))])
      return true
    })
  }

  return {
    async pending(repId: string, reason: string): Promise<number> {
      let moved = 0
      for (;;) {
        const ids = await repo.pendingIdsOf(db, repId, BATCH)
        let movedNow = 0
        for (const id of ids) if (await withdraw(id, repId, reason)) movedNow++
        moved += movedNow
        // Every one found was answered meanwhile, or the last batch was short: nothing is left.
        if (ids.length < BATCH || movedNow === 0) return moved
      }
    },
  }
}

export type HandBack = ReturnType<typeof createHandBack>
