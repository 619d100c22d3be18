import type { Tx } from '../../db/client.ts'
import type { HandoffState, LeadRow, LeadStatus } from '../../db/schema/index.ts'
import { DEFAULT_CLOCKS } from '../../db/schema/json/scoring-model.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, Forbidden, NotFound, invalidFields, withProblemMembers } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents, type NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import * as handoffsRepo from '../handoffs/handoffs.repo.ts'
import { toHandoff } from '../handoffs/handoff.ts'
import type { Handoff } from '../handoffs/handoffs.schemas.ts'
import { planReminders, remindersFor } from '../handoffs/reminders.ts'
import { releaseOwner, takeOwnership, withdrawPending } from '../handoffs/ownership.ts'
import { createRerouter, reassignedEvent, type Reassignment } from '../handoffs/reroute.ts'
import { findLiveRep, scheduleOf } from '../reps/reps.repo.ts'
import { dueAt } from '../reps/working-time.ts'
import type { Assigner } from '../routing/assign.ts'
import { findTeam } from '../teams/teams.repo.ts'
import { findLeadView, lockLead, ownedLeadIds, updateLead } from './leads.repo.ts'
import { snapshot, viewToLead } from './lead.ts'
import type { Lead, ReassignBody } from './leads.schemas.ts'

/** Leads in the handoff that a person may move: waiting, owned, or stuck. Closed and converted ones are done. */
const MOVABLE: ReadonlySet<LeadStatus> = new Set(['pending_acceptance', 'accepted', 'contacted', 'unrouted', 'escalated'])
/** A tier's window when the decision named none (a lead scored before windows were stored). */
const FALLBACK_WINDOW_SECONDS = 1800

/**
 * POST /v1/leads/:id/reassign: a person moves a lead on purpose.
 * - `offer` to a rep: a fresh pending handoff; a waiting one is withdrawn; an owner keeps the
 *   lead until the new rep accepts (if they decline or let it expire, the owner still has it).
 * - `transfer` to a rep: they own it at once, with a first-contact task of their own.
 * - no rep: back into routing, to a rep who has not had it.
 * The lead's waiting handoff is locked before the lead, as accept, decline and the deadline
 * lock them, so a reassign racing any of those settles to one outcome.
 */
export function createReassigner(deps: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'boss' | 'logger'> & { assigner: Assigner }) {
  const { db, clock, boss, logger, assigner } = deps
  const reroute = createRerouter(deps)

  type Moved = { lead: Lead; handoff: Handoff | null }
  /** `decide`: who moves it (or why not); `undefined` from it leaves the lead as it is. */
  type Decide = (tx: Tx, lead: LeadRow) => Promise<Reassignment['actor'] | undefined>

  async function move(id: string, body: ReassignBody, decide: Decide): Promise<Moved | undefined> {
    const mode = body.repId ? (body.mode ?? 'offer') : 'routing'
    if (!body.repId && body.mode === 'transfer') {
      throw invalidFields('Nobody to transfer to.', [{ pointer: '/repId', detail: 'a transfer names the rep who takes the lead' }])
    }
    return db.transaction(async (tx) => {
      const pending = await handoffsRepo.lockPendingOf(tx, id)
      const lead = await lockLead(tx, id)
      if (!lead) throw new NotFound(`No lead with id ${id}.`)
      const actor = await decide(tx, lead)
      if (!actor) return undefined
      if (!MOVABLE.has(lead.status)) {
        throw withProblemMembers(new Conflict(`The lead is ${lead.status}: only a lead in the handoff can be reassigned.`), {
          leadStatus: lead.status,
        })
      }
      const now = clock.now()
      const target = body.repId ? await mustBeTarget(tx, body.repId, mode, lead, pending) : undefined
      const why: Reassignment = { actor, reason: body.reason ?? 'reassigned', mode }
      const events: NewEvent[] = []
      const from = pending?.repId ?? lead.ownerId
      if (pending) events.push((await withdrawPending(tx, boss, lead, pending, `reassigned: ${why.reason}`, now)).event)
      let current = lead
      if (mode !== 'offer' && lead.ownerId) current = await release(tx, lead, why, now)

      let handoff: Handoff | null
      if (target && mode === 'offer') {
        const offered = await offer(tx, current, target, now)
        handoff = toHandoff(offered.row)
        current = offered.lead
        events.push(await reassignedEvent(tx, why, current, from, handoff, now), offered.assigned)
      } else if (target) {
        const given = await transfer(tx, current, target, now)
        handoff = toHandoff(given.row)
        current = given.lead
        events.push(await reassignedEvent(tx, why, current, from, handoff, now), given.task)
      } else {
        const previous = pending ?? (await handoffsRepo.latestOf(tx, id))
        if (!previous) throw new Conflict('The lead was never offered to anyone: it waits for routing already.')
        const rerouted = await reroute(tx, current, previous, now, why)
        events.push(...rerouted)
        handoff = rerouted.find((e) => e.type === 'lead.reassigned')!.data.handoff as Handoff | null
      }
      await appendEvents(tx, { boss, logger }, events)
      // Locked above: a plain read, with the offer it now waits on (none, the one just made, or one left waiting).
      return { lead: viewToLead((await findLeadView(tx, id))!), handoff }
    })
  }

  return {
    /** POST /v1/leads/:id/reassign. */
    async reassign(id: string, body: ReassignBody, principal: Principal): Promise<Moved> {
      return (await move(id, body, (tx, lead) => actorOf(tx, principal, lead, body.reason)))!
    },

    /**
     * A hand-back of the leads a rep owns (`unworked`: accepted, no contact yet; `open`: also the
     * contacted ones): each goes back into routing in its own transaction, skipped if its owner
     * changed meanwhile. Returns how many moved.
     */
    async handBackOwned(repId: string, include: 'unworked' | 'open', actor: Reassignment['actor']): Promise<number> {
      let moved = 0
      for (const id of await ownedLeadIds(db, repId, include === 'open' ? ['accepted', 'contacted'] : ['accepted'])) {
        const decide: Decide = async (_tx, lead) => (lead.ownerId === repId && MOVABLE.has(lead.status) ? actor : undefined)
        if (await move(id, { reason: 'handed back' }, decide)) moved++
      }
      return moved
    },
  }

  /** Who may move the lead: an admin; an integration naming a reason; the manager of the lead's team. */
  async function actorOf(tx: Tx, principal: Principal, lead: LeadRow, reason: string | undefined): Promise<Reassignment['actor']> {
    if (principal.role === 'admin') return { type: 'admin', id: principal.subject ?? null }
    if (principal.role === 'integration') {
      if (!reason) throw invalidFields('An integration names why it moves a lead.', [{ pointer: '/reason', detail: 'is required' }])
      return { type: 'integration', id: principal.subject ?? null }
    }
    const repId = principal.repId!
    const latest = await handoffsRepo.latestOf(tx, lead.id)
    const team = latest?.teamId ? await findTeam(tx, latest.teamId) : undefined
    if (team?.managerId === repId) return { type: 'manager', id: repId }
    if (!(await handoffsRepo.wasOfferedTo(tx, lead.id, repId))) throw new NotFound(`No lead with id ${lead.id}.`)
    throw new Forbidden("Only an admin or the manager of the lead's team reassigns it.")
  }

  async function mustBeTarget(tx: Tx, repId: string, mode: string, lead: LeadRow, pending: HandoffState | undefined) {
    const rep = await findLiveRep(tx, repId, 'share')
    if (!rep) throw invalidFields('No such rep.', [{ pointer: '/repId', detail: 'no rep has this id' }])
    if (mode === 'offer' && rep.status === 'away') {
      throw invalidFields('The rep is away.', [{ pointer: '/repId', detail: `${rep.name} is away: transfer, or offer it to someone else` }])
    }
    if (lead.ownerId === repId) throw new Conflict(`${rep.name} already owns the lead.`)
    if (mode === 'offer' && pending?.repId === repId) throw new Conflict(`The lead already waits for ${rep.name}.`)
    return rep
  }

  /** The owner lets go (their handoff ends reassigned, their tasks are cancelled); the lead waits for what comes next. */
  async function release(tx: Tx, lead: LeadRow, why: Reassignment, now: Date): Promise<LeadRow> {
    await releaseOwner(tx, lead, `reassigned: ${why.reason}`, now)
    return updateLead(tx, lead.id, { ownerId: null, status: 'unrouted', updatedAt: now })
  }

  async function newHandoff(tx: Tx, lead: LeadRow, repId: string, now: Date, accepted: boolean) {
    const prior = await handoffsRepo.priorHandoffs(tx, lead.id)
    // The lead stays its team's (the team's manager may move it again, metrics count it there).
    const teamId = (await handoffsRepo.latestOf(tx, lead.id))?.teamId ?? null
    const seconds = lead.decision.acceptWithinSeconds ?? FALLBACK_WINDOW_SECONDS
    const clockName = lead.decision.clock ?? DEFAULT_CLOCKS[lead.tier ?? 'standard']
    const schedule = (await scheduleOf(tx, repId))!
    const row = await handoffsRepo.insertHandoff(tx, {
      id: newId(),
      leadId: lead.id,
      repId,
      status: accepted ? 'accepted' : 'pending',
      attempt: prior.nextAttempt,
      deadlineAt: dueAt(now, seconds, clockName, schedule),
      clock: clockName,
      acceptWithinSeconds: seconds,
      reminders: accepted ? [] : planReminders(now, seconds, clockName, schedule, remindersFor(seconds, null, lead.decision.reminders)),
      rulesetVersion: null,
      ruleIndex: null,
      ruleName: 'reassign',
      assign: { type: 'rep', repId },
      teamId,
      trace: { version: null, at: now.toISOString(), steps: [], skipped: 0 },
      createdAt: now,
      updatedAt: now,
      ...(accepted ? { respondedAt: now } : {}),
    })
    // The new rep's load counts it like any offer (and, for a transfer, as accepted at once).
    await handoffsRepo.addPending(tx, repId, now)
    return row
  }

  async function offer(tx: Tx, lead: LeadRow, rep: { id: string; name: string; email: string }, now: Date) {
    const row = await newHandoff(tx, lead, rep.id, now, false)
    await assigner.scheduleDeadline(tx, row, now)
    const waiting = lead.ownerId ? lead : await updateLead(tx, lead.id, { status: 'pending_acceptance', nextRouteAt: null, updatedAt: now })
    const rule = { version: null, index: null, name: 'reassign' }
    const repRef = { id: rep.id, name: rep.name, email: rep.email }
    const data = { lead: snapshot(waiting), handoff: toHandoff(row), rep: repRef, rule, acceptUrl: await assigner.acceptUrl(row) }
    return { row, lead: waiting, assigned: newEvent('lead.assigned', data, now, lead.id) }
  }

  async function transfer(tx: Tx, lead: LeadRow, rep: { id: string }, now: Date) {
    const row = await newHandoff(tx, lead, rep.id, now, true)
    await handoffsRepo.releaseLoad(tx, rep.id, 'accepted')
    const { owned, task } = await takeOwnership(tx, boss, lead, row, now)
    return { row, lead: owned, task }
  }
}

export type Reassigner = ReturnType<typeof createReassigner>
