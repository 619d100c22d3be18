import { onCommit, type Tx } from '../../db/client.ts'
import type { HandoffState, HandoffStatus, LeadRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { latestOnTime, rebookIfEarly } from '../../lib/jobs.ts'
import { Conflict, Forbidden, NotFound, withProblemMembers } from '../../lib/errors.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents, type NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { findLead } from '../leads/leads.repo.ts'
import { snapshot } from '../leads/lead.ts'
import { findRepRef, scheduleOf, setAutoAway } from '../reps/reps.repo.ts'
import { workedAt, workingSecondsBetween } from '../reps/working-time.ts'
import type { Assigner } from '../routing/assign.ts'
import { requestSweep } from '../routing/unrouted.ts'
import { traceForRep } from '../routing/trace-view.ts'
import * as repo from './handoffs.repo.ts'
import { LinkExpired } from './accept-link.ts'
import { toHandoff } from './handoff.ts'
import { releaseOwner, takeOwnership } from './ownership.ts'
import type { Handoff, ListHandoffsQuery } from './handoffs.schemas.ts'
import { createRerouter } from './reroute.ts'

/**
 * Acceptance: a lead is owned only once its rep accepts the handoff. Every change
 * starts by locking the handoff row, so accept, decline and the deadline job can race
 * and exactly one of them wins.
 */
export function createHandoffsService(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'boss' | 'metrics' | 'logger' | 'acceptLinks'> & { assigner: Assigner },
) {
  const { db, clock, boss, config, metrics, logger } = deps
  const reroute = createRerouter(deps)

  /** The handoff, locked; 404 if none, or (as if none) for a rep token that is not its rep. */
  async function mustLock(tx: Tx, id: string, principal: Principal): Promise<HandoffState> {
    const row = await repo.lockHandoff(tx, id)
    if (!row) throw new NotFound(`No handoff with id ${id}.`)
    assertMayAct(principal, row)
    return row
  }

  /** The state change every answer shares: handoff row, rep load, and the lead and its rep for the event. */
  async function close(tx: Tx, handoff: HandoffState, status: Exclude<HandoffStatus, 'pending'>, now: Date, reason: string | null) {
    return settle(tx, await repo.updateHandoff(tx, handoff.id, { status, respondedAt: now, updatedAt: now, reason }), status, now)
  }

  /** After the handoff row changed: the rep's load released, the lead and the rep read for the events. */
  async function settle(tx: Tx, updated: HandoffState, status: Exclude<HandoffStatus, 'pending'>, now: Date, countsTowardAway = true) {
    const { expiredInRow, maxPending, rep } = await repo.releaseLoad(tx, updated.repId, status, { countsTowardAway })
    const lead = (await findLead(tx, updated.leadId))!
    // A slot was freed: a lead waiting for this rep to have room may be placed now. Only a
    // rep with a pending limit can have kept one waiting, so only then is a sweep worth it.
    if (maxPending !== null) await requestSweep(tx, boss)
    onCommit(tx, () => {
      metrics.handoffs.inc({ outcome: status })
      if (status === 'expired') metrics.deadlineLateness.observe((now.getTime() - updated.deadlineAt.getTime()) / 1000)
    })
    return { updated, lead, rep, expiredInRow }
  }

  function mustBePending(handoff: HandoffState, now: Date, action: 'accepted' | 'declined'): void {
    if (handoff.status !== 'pending') {
      throw withProblemMembers(new Conflict(`The handoff was already ${handoff.status}; it can no longer be ${action}.`), {
        handoffStatus: handoff.status,
      })
    }
    if (now.getTime() >= handoff.deadlineAt.getTime()) {
      throw withProblemMembers(
        new Conflict(`The deadline passed at ${handoff.deadlineAt.toISOString()}; the lead is moving on to the next rep.`),
        { handoffStatus: 'expired' },
      )
    }
  }

  return {
    /**
     * The `handoff-reminder` job: the reminder `beforeSeconds` before the deadline goes out once
     * (handoff.reminder), while the handoff is pending and its deadline still ahead, judged
     * under the handoff's row lock. A job run early books itself again for the rest of the wait.
     */
    async remind(id: string, beforeSeconds: number): Promise<'reminded' | 'not_pending' | 'sent_before' | 'early'> {
      return db.transaction(async (tx) => {
        const handoff = await repo.lockHandoff(tx, id)
        const now = clock.now()
        if (!handoff || handoff.status !== 'pending' || now >= handoff.deadlineAt) return 'not_pending'
        const reminder = handoff.reminders.find((r) => r.beforeSeconds === beforeSeconds)
        if (!reminder || reminder.sentAt) return 'sent_before'
        if (await rebookIfEarly(tx, boss, 'handoff-reminder', { handoffId: id, beforeSeconds }, new Date(reminder.at), now)) return 'early'
        const reminders = handoff.reminders.map((r) => (r === reminder ? { ...r, sentAt: now.toISOString() } : r))
        const updated = await repo.updateHandoff(tx, id, { reminders })
        const lead = (await findLead(tx, handoff.leadId))!
        const rep = (await findRepRef(tx, handoff.repId)) ?? null
        const secondsLeft = Math.round((handoff.deadlineAt.getTime() - now.getTime()) / 1000)
        const data = {
          lead: snapshot(lead),
          handoff: toHandoff(updated),
          rep,
          beforeSeconds,
          secondsLeft,
        }
        await appendEvents(tx, { boss, logger }, [newEvent('handoff.reminder', data, now, lead.id)])
        return 'reminded'
      })
    },

    /**
     * What a one-click accept link names: its rep, its handoff (undefined once withdrawn) and
     * the handoff's lead. 410 once the deadline passed (the token's own expiry is rounded up
     * to the second).
     */
    async fromLink(token: string) {
      const link = await deps.acceptLinks.verify(token)
      const handoff = await repo.findHandoff(db, link.handoffId)
      // Expired by the deadline job a hair early (its second of tolerance) is as late as past the deadline.
      if ((handoff?.status === 'pending' && clock.now() >= handoff.deadlineAt) || handoff?.status === 'expired')
        throw new LinkExpired("This accept link expired at the handoff's deadline; the lead is moving on.")
      const lead = handoff ? await findLead(db, handoff.leadId) : undefined
      return { ...link, handoff, lead }
    },

    /** What the handoff page shows of the link's rep (its name, and its zone for the deadline), and the time now. */
    async pageFor(repId: string) {
      const [rep, schedule] = await Promise.all([findRepRef(db, repId), scheduleOf(db, repId)])
      return { rep: { name: rep?.name ?? 'a rep', timezone: schedule?.timezone ?? 'UTC' }, now: clock.now() }
    },

    /** The handoff with its routing trace; a rep token reads only its own part of the trace. */
    async get(id: string, principal: Principal) {
      const row = await repo.findHandoffWithTrace(db, id)
      if (!row) throw new NotFound(`No handoff with id ${id}.`)
      assertMayAct(principal, row)
      const schedule = row.status === 'pending' ? await scheduleOf(db, row.repId) : undefined
      const workingSecondsLeft = schedule ? workingSecondsBetween(clock.now(), row.deadlineAt, schedule) : null
      return { ...toHandoff(row), workingSecondsLeft, trace: principal.role === 'rep' ? traceForRep(row.trace, row.repId) : row.trace }
    },

    /** A rep's inbox, newest first; a rep token sees only its own. */
    async list(query: ListHandoffsQuery, principal: Principal) {
      if (principal.role === 'rep' && query.repId && query.repId !== principal.repId)
        throw new Forbidden('A rep token lists only its own handoffs.')
      const repId = principal.role === 'rep' ? principal.repId : query.repId
      const limit = query.limit ?? 50
      const before = decodeCursor(query.cursor)
      const rows = await repo.listHandoffs(db, {
        limit,
        ...(repId ? { repId } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(before ? { before } : {}),
      })
      const page = toPage(rows, limit)
      return { data: page.data.map(toHandoff), nextCursor: page.nextCursor }
    },

    /**
     * Accepting makes the rep the lead's owner. The same rep accepting again is answered
     * the same, with no second event; `onceOnly` (a one-click link) makes that a 409 instead.
     */
    async accept(id: string, principal: Principal, { onceOnly = false }: { onceOnly?: boolean } = {}): Promise<Handoff> {
      // The time the rep asked, not the time the lock was free: an answer that queued
      // behind the deadline job is judged by when it arrived (the job may still win the lock).
      const now = clock.now()
      return db.transaction(async (tx) => {
        const handoff = await mustLock(tx, id, principal)
        if (handoff.status === 'accepted' && onceOnly) {
          throw withProblemMembers(new Conflict('This accept link was already used: the lead is accepted.'), { handoffStatus: 'accepted' })
        }
        if (handoff.status === 'accepted') return toHandoff(handoff)
        mustBePending(handoff, now, 'accepted')
        // A reassign offered an owned lead: the owner lets go only now that this rep takes it
        // (first, so that the lead never has two accepted handoffs).
        const before = (await findLead(tx, handoff.leadId))!
        if (before.ownerId) await releaseOwner(tx, before, 'reassigned: another rep accepted', now)
        const { updated, lead, rep } = await close(tx, handoff, 'accepted', now, null)
        const { owned, task } = await takeOwnership(tx, boss, lead, updated, now)
        const event = newEvent('handoff.accepted', { lead: snapshot(owned), handoff: toHandoff(updated), rep }, now, lead.id)
        await appendEvents(tx, { boss, logger }, [event, task])
        return toHandoff(updated)
      })
    },

    /** Declining (with a reason) moves the lead on at once to a rep who has not had it. */
    async decline(id: string, principal: Principal, reason: string): Promise<Handoff> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        const handoff = await mustLock(tx, id, principal)
        mustBePending(handoff, now, 'declined')
        const { updated, lead, rep } = await close(tx, handoff, 'declined', now, reason)
        const declined = newEvent('handoff.declined', { lead: snapshot(lead), handoff: toHandoff(updated), rep, reason }, now, lead.id)
        // An owned lead offered by a reassign stays with its owner when the new rep declines.
        const onward = lead.ownerId ? [] : await reroute(tx, lead, updated, now, 'declined')
        await appendEvents(tx, { boss, logger }, [declined, ...onward])
        return toHandoff(updated)
      })
    },

    /**
     * The `handoff-deadline` job. The handoff expires only if it is still pending when the
     * update reaches it (an accept or decline that got there first wins) and its deadline has
     * come. Returns what it did.
     */
    async expire(id: string): Promise<'expired' | 'not_pending' | 'early'> {
      return db.transaction(async (tx) => {
        let now = clock.now()
        let expiry = await repo.expireIfDue(tx, id, now, latestOnTime(now))
        if (!expiry) {
          const handoff = await repo.lockHandoff(tx, id)
          if (!handoff || handoff.status !== 'pending') return 'not_pending'
          // Still pending: early, or it fell due while the update waited on an answer that then
          // rolled back (a 409 after the deadline), judged by the time before the wait. Now it is locked.
          now = clock.now()
          if (await rebookIfEarly(tx, boss, 'handoff-deadline', { handoffId: id }, handoff.deadlineAt, now)) return 'early'
          expiry = (await repo.expireIfDue(tx, id, now, latestOnTime(now)))!
        }
        // An expiry outside the rep's working time (a wall deadline for a rep gone home, or hours
        // edited while the offer waited) says nothing about how they answer: auto-away skips it.
        const duringWork = workedAt(new Date(expiry.expired.deadlineAt.getTime() - 1000), expiry.schedule)
        const { updated, lead, rep, expiredInRow } = await settle(tx, expiry.expired, 'expired', now, duringWork)
        const events: NewEvent[] = [newEvent('handoff.expired', { lead: snapshot(lead), handoff: toHandoff(updated), rep }, now, lead.id)]
        const autoAway = config.handoffs.autoAwayAfter
        if (autoAway > 0 && expiredInRow >= autoAway) events.push(...(await setAway(tx, rep, expiredInRow, now, lead)))
        if (!lead.ownerId) events.push(...(await reroute(tx, lead, updated, now, 'expired', expiry.prior)))
        await appendEvents(tx, { boss, logger }, events)
        return 'expired'
      })
    },
  }
}

export type HandoffsService = ReturnType<typeof createHandoffsService>

/** A rep who let `autoAwayAfter` handoffs in a row expire is set away, and the run starts again. */
/** The event names the lead whose expiry tipped it: it sits in that lead's timeline and sequence. */
async function setAway(
  tx: Tx,
  rep: { id: string; name: string; email: string },
  expiredInRow: number,
  now: Date,
  lead: LeadRow,
): Promise<NewEvent[]> {
  await setAutoAway(tx, rep.id, now)
  return [
    newEvent(
      'rep.auto_away',
      { rep: { ...rep, status: 'away' }, lead: snapshot(lead), expiredInRow, reason: `${expiredInRow} handoffs in a row expired` },
      now,
      lead.id,
    ),
    newEvent('rep.away', { rep: { ...rep, status: 'away' }, actor: { type: 'auto_away', id: null }, awayUntil: null }, now),
  ]
}

/**
 * Rep tokens act only on their own handoffs; admins on any. Another rep's handoff is
 * answered as if it did not exist: a 403 would confirm the id, and that someone has it.
 */
function assertMayAct(principal: Principal, handoff: HandoffState): void {
  if (principal.role === 'rep' && principal.repId !== handoff.repId) throw new NotFound(`No handoff with id ${handoff.id}.`)
}
