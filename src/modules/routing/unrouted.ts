import type { Tx } from '../../db/client.ts'
import { useGenericPlans } from '../../db/prepared.ts'
import type { LeadRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { sendInTx } from '../../lib/jobs.ts'
import { appendEvents } from '../events/events.repo.ts'
import { priorHandoffs } from '../handoffs/handoffs.repo.ts'
import { lockUnrouted, unroutedIds, updateLead } from '../leads/leads.repo.ts'
import { snapshot } from '../leads/lead.ts'
import { statusAfter, type Assigner } from './assign.ts'

const SWEEP_BATCH = 200

/**
 * Asks for every unrouted lead to be tried again, in the caller's transaction: a rep
 * changed, a team or account changed, a ruleset was published. The queue keeps at most
 * one sweep waiting, so a burst of changes costs one sweep, not one each.
 */
export async function requestSweep(tx: Tx, boss: ServiceDeps['boss']): Promise<void> {
  await sendInTx(tx, boss, 'routing-sweep', {})
}

/**
 * Routing again of leads that found nobody eligible: one lead when its earliest
 * candidate's window opens (`route-lead` jobs), or all of them (`routing-sweep`).
 * Each lead is re-read under its row lock; a lead no longer unrouted is left alone.
 */
export function createUnroutedRouter({
  db,
  clock,
  boss,
  logger,
  assigner,
}: Pick<ServiceDeps, 'db' | 'clock' | 'boss' | 'logger'> & { assigner: Assigner }) {
  /** Routes one locked, unrouted lead; true when it was assigned. */
  async function routeAgain(tx: Tx, row: LeadRow, { rescheduleSame }: { rescheduleSame: boolean }): Promise<boolean> {
    const now = clock.now()
    // A lead that waits after a decline or expiry still skips the reps who had it.
    await useGenericPlans(tx)
    const prior = await priorHandoffs(tx, row.id)
    const routed = await assigner.plan(tx, { fields: row, decision: row.decision }, now, {
      excluded: prior.reps,
      liveVersion: prior.liveVersion,
    })
    if (routed.kind === 'unroutable') {
      const next = routed.retryAt
      const moved = next?.getTime() !== row.nextRouteAt?.getTime()
      if (moved) await updateLead(tx, row.id, { nextRouteAt: next, updatedAt: now })
      // A job that finds the lead still waiting has used itself up: it books the next
      // try even for the same time. A sweep books one only when the time moved.
      if (next && (moved || rescheduleSame)) await assigner.scheduleRetry(tx, row.id, next, now)
      return false
    }
    const updated = await updateLead(tx, row.id, { status: statusAfter(routed), nextRouteAt: null, updatedAt: now })
    const { events } = await assigner.record(tx, updated, routed, now, { attempt: prior.nextAttempt, snapshot: snapshot(updated) })
    await appendEvents(tx, { boss, logger }, events)
    return true
  }

  return {
    /** The `route-lead` job: this lead's calendar retry. */
    async retryLead(leadId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const row = await lockUnrouted(tx, leadId)
        return row ? routeAgain(tx, row, { rescheduleSame: true }) : false
      })
    },

    /** The `routing-sweep` job: every unrouted lead, oldest first, each in its own transaction. */
    async sweep(): Promise<{ tried: number; assigned: number }> {
      let tried = 0
      let assigned = 0
      let after: string | undefined
      for (;;) {
        const batch = await unroutedIds(db, { limit: SWEEP_BATCH, ...(after ? { after } : {}) })
        for (const id of batch) {
          tried++
          const done = await db.transaction(async (tx) => {
            const row = await lockUnrouted(tx, id)
            return row ? routeAgain(tx, row, { rescheduleSame: false }) : false
          })
          if (done) assigned++
        }
        if (batch.length < SWEEP_BATCH) return { tried, assigned }
        after = batch.at(-1)!
      }
    },

    requestSweep: (tx: Tx) => requestSweep(tx, boss),
  }
}

export type UnroutedRouter = ReturnType<typeof createUnroutedRouter>
