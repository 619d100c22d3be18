import { requirementsOf } from '../routing/requirements.ts'
import type { Tx } from '../../db/client.ts'
import { useGenericPlans } from '../../db/prepared.ts'
import type { HandoffState, LeadRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { newId } from '../../lib/ids.ts'
import type { NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { updateLead } from '../leads/leads.repo.ts'
import { snapshot } from '../leads/lead.ts'
import { findRepRef, managerOf, scheduleOf } from '../reps/reps.repo.ts'
import { dueAt } from '../reps/working-time.ts'
import { planReminders, remindersFor } from './reminders.ts'
import { statusAfter, type Assigner } from '../routing/assign.ts'
import type { CompiledRule } from '../routing/compile-ruleset.ts'
import { findTeam } from '../teams/teams.repo.ts'
import * as repo from './handoffs.repo.ts'
import type { PriorHandoffs } from './handoffs.repo.ts'
import { toHandoff } from './handoff.ts'
import type { Handoff } from './handoffs.schemas.ts'

/** Seconds the previous rep had, on its clock: the next one gets as long (a handoff from before both were kept: its wall window). */
const windowOf = (handoff: HandoffState) => Math.max(1, Math.round((handoff.deadlineAt.getTime() - handoff.createdAt.getTime()) / 1000))

/**
 * Where a lead goes when its rep declined or let the deadline pass: to the next
 * eligible rep who has not had it (the same rule's target first, then the rules in
 * order), or, after `maxAttempts` reps, up to the team's manager (else the rep's
 * manager); if the manager already had it too, it waits as escalated for a human.
 * It never bounces forever and is never dropped.
 */
export function createRerouter({ config, assigner }: Pick<ServiceDeps, 'config'> & { assigner: Assigner }) {
  /** `prior`: when the caller's statement already read it (the deadline job's). */
  return async function reroute(
    tx: Tx,
    lead: LeadRow,
    previous: HandoffState,
    now: Date,
    why: 'declined' | 'expired' | 'handed_back' | Reassignment,
    prior?: PriorHandoffs,
  ): Promise<NewEvent[]> {
    await useGenericPlans(tx)
    prior ??= await repo.priorHandoffs(tx, lead.id)
    if (prior.nextAttempt > config.handoffs.maxAttempts) {
      const escalated = await escalate(tx, lead, previous, prior, now)
      if (typeof why === 'string') return escalated.events
      return [await reassignedEvent(tx, why, escalated.lead, previous.repId, escalated.handoff, now), ...escalated.events]
    }
    const prefer: CompiledRule | undefined = previous.assign
      ? {
          index: previous.ruleIndex ?? -1,
          name: previous.ruleName ?? 'previous target',
          assign: previous.assign,
          requirements: requirementsOf(previous.assign),
          acceptWithinSeconds: previous.acceptWithinSeconds ?? windowOf(previous),
          clock: previous.clock,
          remindBeforeSeconds: previous.reminders.map((r) => r.beforeSeconds),
        }
      : undefined
    const routed = await assigner.plan(tx, { fields: lead, decision: lead.decision }, now, {
      excluded: prior.reps,
      liveVersion: prior.liveVersion,
      ...(prefer ? { prefer } : {}),
    })
    const updated = await updateLead(tx, lead.id, {
      status: statusAfter(routed),
      nextRouteAt: routed.kind === 'unroutable' ? routed.retryAt : null,
      updatedAt: now,
    })
    const outcome = await assigner.record(tx, updated, routed, now, { attempt: prior.nextAttempt, snapshot: snapshot(updated) })
    if (typeof why !== 'string') return [await reassignedEvent(tx, why, updated, previous.repId, outcome.handoff, now), ...outcome.events]
    const rerouted = newEvent(
      'lead.rerouted',
      { lead: snapshot(updated), from: toHandoff(previous), to: outcome.handoff, reason: why, attempt: prior.nextAttempt },
      now,
      lead.id,
    )
    return [rerouted, ...outcome.events]
  }

  async function escalate(
    tx: Tx,
    lead: LeadRow,
    previous: HandoffState,
    prior: PriorHandoffs,
    now: Date,
  ): Promise<{ lead: LeadRow; handoff: Handoff | null; events: NewEvent[] }> {
    const managerId = await managerFor(tx, previous)
    const attempts = prior.nextAttempt - 1
    const manager = managerId && !prior.reps.has(managerId) ? await findRepRef(tx, managerId) : undefined
    const updated = await updateLead(tx, lead.id, { status: 'escalated', nextRouteAt: null, updatedAt: now })
    const leadSnapshot = snapshot(updated)
    if (!manager) {
      const reason = managerId ? 'the manager already had this lead' : 'neither the team nor the rep has a manager'
      const detail = `${attempts} reps did not take it and ${reason}: it waits for a person`
      return {
        lead: updated,
        handoff: null,
        events: [
          newEvent('lead.escalated', { lead: leadSnapshot, handoff: null, attempts, reason: detail, needsAssignment: true }, now, lead.id),
        ],
      }
    }
    const detail = `${attempts} reps did not take it: escalated to ${manager.name}`
    // The manager gets the window the reps had, on the same clock, counted in the manager's own hours.
    const seconds = previous.acceptWithinSeconds ?? windowOf(previous)
    const schedule = (await scheduleOf(tx, manager.id))!
    const row = await repo.insertHandoff(tx, {
      id: newId(),
      leadId: lead.id,
      repId: manager.id,
      status: 'pending',
      attempt: prior.nextAttempt,
      deadlineAt: dueAt(now, seconds, previous.clock, schedule),
      clock: previous.clock,
      acceptWithinSeconds: seconds,
      reminders: planReminders(
        now,
        seconds,
        previous.clock,
        schedule,
        remindersFor(
          seconds,
          previous.reminders.map((r) => r.beforeSeconds),
          undefined,
        ),
      ),
      rulesetVersion: null,
      ruleIndex: null,
      ruleName: 'escalation',
      assign: { type: 'rep', repId: manager.id },
      teamId: previous.teamId,
      trace: { version: null, at: now.toISOString(), steps: [], skipped: 0, escalation: { attempts, managerId: manager.id, detail } },
      createdAt: now,
      updatedAt: now,
    })
    // A manager takes an escalation whatever their status or load; it is still their pending work.
    await repo.addPending(tx, manager.id, now)
    await assigner.scheduleDeadline(tx, row, now)
    const handoff = toHandoff(row)
    const events = [
      newEvent(
        'lead.escalated',
        { lead: leadSnapshot, handoff, rep: manager, attempts, reason: detail, needsAssignment: false },
        now,
        lead.id,
      ),
      newEvent(
        'lead.assigned',
        {
          lead: leadSnapshot,
          handoff,
          rep: manager,
          rule: { version: null, index: null, name: 'escalation' },
          acceptUrl: await assigner.acceptUrl(row),
        },
        now,
        lead.id,
      ),
    ]
    return { lead: updated, handoff, events }
  }
}

export type Rerouter = ReturnType<typeof createRerouter>

/** Who moved a lead on purpose, and why: a person (POST /v1/leads/:id/reassign) or a follow-through rule. */
export interface Reassignment {
  actor: { type: 'system' | 'admin' | 'manager' | 'integration'; id: string | null }
  reason: string
  mode: 'offer' | 'transfer' | 'routing'
}

/** lead.reassigned: from the rep who had the lead, to the one it is offered or given to now (or nobody yet). */
export async function reassignedEvent(
  tx: Tx,
  { actor, reason, mode }: Reassignment,
  lead: LeadRow,
  fromRepId: string | null,
  to: Handoff | null,
  now: Date,
): Promise<NewEvent> {
  const data = {
    lead: snapshot(lead),
    reason,
    mode,
    actor,
    from: (fromRepId && (await findRepRef(tx, fromRepId))) || null,
    to: (to && (await findRepRef(tx, to.repId))) || null,
    handoff: to,
  }
  return newEvent('lead.reassigned', data, now, lead.id)
}

/** The team's manager, else the manager of the rep who last had the lead. */
export async function managerFor(tx: Tx, previous: HandoffState): Promise<string | null> {
  if (previous.teamId) {
    const team = await findTeam(tx, previous.teamId)
    if (team?.managerId) return team.managerId
  }
  return managerOf(tx, previous.repId)
}
