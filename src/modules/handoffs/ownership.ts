import type { Tx } from '../../db/client.ts'
import type { HandoffState, LeadRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import type { NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { updateLead } from '../leads/leads.repo.ts'
import { snapshot } from '../leads/lead.ts'
import { scheduleOf } from '../reps/reps.repo.ts'
import { workingSecondsBetween } from '../reps/working-time.ts'
import { requestSweep } from '../routing/unrouted.ts'
import { createFirstContactTask, settleOpenTasks } from '../tasks/tasks.service.ts'
import * as repo from './handoffs.repo.ts'
import { toHandoff } from './handoff.ts'

// What every way of giving, taking back or withdrawing a lead shares: an accept, a transfer, a
// reassign, a hand-back and an overdue first contact each change ownership the same way.

/** The handoff's rep owns the lead from now (accepted, with the wait in their working time) and owes its first contact. */
export async function takeOwnership(tx: Tx, boss: ServiceDeps['boss'], lead: LeadRow, handoff: HandoffState, now: Date) {
  const schedule = (await scheduleOf(tx, handoff.repId))!
  const owned = await updateLead(tx, lead.id, {
    status: 'accepted',
    ownerId: handoff.repId,
    acceptedAt: now,
    acceptWorkingSeconds: workingSecondsBetween(lead.createdAt, now, schedule),
    nextRouteAt: null,
    updatedAt: now,
  })
  const task = await createFirstContactTask(tx, boss, { lead: owned, handoff, schedule, now })
  return { owned, task }
}

/**
 * The owner lets go: their accepted handoff ends `reassigned` (with `reason`), an unworked lead
 * stops counting as their work, and their open tasks are cancelled. The lead row is the
 * caller's to change. Returns the handoff they held.
 */
export async function releaseOwner(tx: Tx, lead: LeadRow, reason: string, now: Date): Promise<HandoffState | undefined> {
  const accepted = await repo.lockLiveOf(tx, lead.id, 'accepted')
  const released = accepted && (await repo.updateHandoff(tx, accepted.id, { status: 'reassigned', reason, updatedAt: now }))
  if (lead.status === 'accepted') await repo.releaseUnworked(tx, lead.ownerId!)
  await settleOpenTasks(tx, lead, 'cancelled', now)
  return released
}

/** A pending handoff taken back before its rep answered: cancelled, the rep's slot freed; handoff.withdrawn. */
export async function withdrawPending(
  tx: Tx,
  boss: ServiceDeps['boss'],
  lead: LeadRow,
  pending: HandoffState,
  reason: string,
  now: Date,
): Promise<{ withdrawn: HandoffState; event: NewEvent }> {
  const withdrawn = await repo.updateHandoff(tx, pending.id, { status: 'cancelled', reason, respondedAt: now, updatedAt: now })
  const { rep, maxPending } = await repo.releaseLoad(tx, pending.repId, 'cancelled')
  if (maxPending !== null) await requestSweep(tx, boss)
  const event = newEvent('handoff.withdrawn', { lead: snapshot(lead), handoff: toHandoff(withdrawn), rep, reason }, now, lead.id)
  return { withdrawn, event }
}
