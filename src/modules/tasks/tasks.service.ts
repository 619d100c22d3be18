import type { Tx } from '../../db/client.ts'
import type { HandoffState, LeadRow, TaskRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { latestOnTime, rebookIfEarly, sendInTx } from '../../lib/jobs.ts'
import { Conflict, Forbidden, NotFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents, type NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { findHandoff } from '../handoffs/handoffs.repo.ts'
import { releaseOwner } from '../handoffs/ownership.ts'
import { createRerouter, managerFor } from '../handoffs/reroute.ts'
import { findLead, lockLead, updateLead } from '../leads/leads.repo.ts'
import { findRepRef, managerOf } from '../reps/reps.repo.ts'
import type { Assigner } from '../routing/assign.ts'
import { snapshot } from '../leads/lead.ts'
import { dueAt, type Schedule } from '../reps/working-time.ts'
import { modelVersion } from '../scoring/scoring.repo.ts'
import { FIRST_CONTACT_DEFAULTS } from '../scoring/scoring.schemas.ts'
import * as repo from './tasks.repo.ts'
import type { ListTasksQuery, Task } from './tasks.schemas.ts'

/** When a first contact is due, and what follows when it is not made (the model's firstContact, per tier). */
interface FirstContactPolicy {
  dueInSeconds: number
  onOverdue: 'notify' | 'reassign'
  graceSeconds: number
}

/** When the first contact is due and what follows if it is not made: by the lead's tier in the model that scored it. */
async function firstContactPolicy(tx: Tx, lead: LeadRow): Promise<FirstContactPolicy> {
  const tier = lead.tier ?? 'standard'
  const firstContact = (await modelVersion(tx, lead.decision.scoringVersion))?.model.firstContact
  return {
    dueInSeconds: firstContact?.[tier] ?? FIRST_CONTACT_DEFAULTS[tier],
    onOverdue: firstContact?.onOverdue ?? 'notify',
    graceSeconds: firstContact?.graceSeconds ?? 0,
  }
}

/**
 * The first-contact task an acceptance creates, with its overdue job; returns the task.created
 * event. By the lead's firstContact policy, it falls due after `dueInSeconds` of the owner's
 * working time (`schedule`); with `reassign`, the lead moves on `graceSeconds` of their working
 * time after that.
 */
export async function createFirstContactTask(
  tx: Tx,
  boss: ServiceDeps['boss'],
  { lead, handoff, schedule, now }: { lead: LeadRow; handoff: HandoffState; schedule: Schedule; now: Date },
): Promise<NewEvent> {
  const policy = await firstContactPolicy(tx, lead)
  const due = dueAt(now, policy.dueInSeconds, 'working', schedule)
  const row = await repo.insertTask(tx, {
    id: newId(),
    leadId: lead.id,
    repId: handoff.repId,
    handoffId: handoff.id,
    kind: 'first_contact',
    title: `First contact with ${lead.company ?? lead.email}`,
    status: 'open',
    dueAt: due,
    reassignAt:
      policy.onOverdue !== 'reassign' ? null : policy.graceSeconds > 0 ? dueAt(due, policy.graceSeconds, 'working', schedule) : due,
    createdAt: now,
    updatedAt: now,
  })
  await sendInTx(tx, boss, 'contact-overdue', { taskId: row.id }, { at: row.dueAt, now, id: row.id })
  return newEvent('task.created', { lead: snapshot(lead), task: toTask(row) }, now, lead.id)
}

/** Completes a lead's open tasks (first contact made, lead converted) or cancels them (lead closed). */
export async function settleOpenTasks(tx: Tx, lead: LeadRow, status: 'completed' | 'cancelled', now: Date): Promise<NewEvent[]> {
  const events: NewEvent[] = []
  for (const task of await repo.lockOpenTasks(tx, lead.id)) {
    const settled = await repo.updateTask(tx, task.id, { status, completedAt: status === 'completed' ? now : null, updatedAt: now })
    if (status === 'completed') events.push(newEvent('task.completed', { lead: snapshot(lead), task: toTask(settled) }, now, lead.id))
  }
  return events
}

/** Tasks: the follow-up work reps owe, and the overdue first contacts. */
export function createTasksService(deps: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'boss' | 'logger'> & { assigner: Assigner }) {
  const { db, clock, boss, logger } = deps
  const reroute = createRerouter(deps)
  return {
    async list(query: ListTasksQuery, principal: Principal) {
      if (principal.role === 'rep' && query.repId && query.repId !== principal.repId)
        throw new Forbidden('A rep token lists only its own tasks.')
      const repId = principal.role === 'rep' ? principal.repId : query.repId
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const rows = await repo.listTasks(db, {
        limit,
        ...(repId ? { repId } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.dueBefore ? { dueBefore: new Date(query.dueBefore) } : {}),
        ...(after ? { after } : {}),
      })
      const page = toPage(rows, limit)
      return { data: page.data.map(toTask), nextCursor: page.nextCursor }
    },

    /** Marks a task done (idempotent); a cancelled task (the lead was closed) is 409. */
    async complete(id: string, principal: Principal): Promise<Task> {
      return db.transaction(async (tx) => {
        const task = await repo.lockTask(tx, id)
        if (!task) throw new NotFound(`No task with id ${id}.`)
        if (principal.role === 'rep' && principal.repId !== task.repId) throw new Forbidden('This task belongs to another rep.')
        if (task.status === 'completed') return toTask(task)
        if (task.status === 'cancelled') throw new Conflict('The task was cancelled (its lead was closed).')
        const now = clock.now()
        const done = await repo.updateTask(tx, id, { status: 'completed', completedAt: now, updatedAt: now })
        const lead = (await findLead(tx, task.leadId))!
        await appendEvents(tx, { boss, logger }, [newEvent('task.completed', { lead: snapshot(lead), task: toTask(done) }, now, lead.id)])
        return toTask(done)
      })
    },

    /**
     * The `contact-overdue` job. Once the first contact is due and still not made, emits
     * lead.contact_overdue, once per task (overdueAt records that it went out), naming the
     * owner's manager. A task with a reassign time is run again then: if still uncontacted,
     * the lead goes back into routing (lead.reassigned) and the task is cancelled.
     */
    async overdue(id: string): Promise<'overdue' | 'reassigned' | 'settled' | 'early'> {
      return db.transaction(async (tx) => {
        // The lead first, as every change to a lead and its tasks locks them (a contact logged meanwhile).
        const leadId = await repo.leadOfTask(tx, id)
        const lead = leadId && (await lockLead(tx, leadId))
        const task = await repo.lockTask(tx, id)
        if (!lead || !task || task.status !== 'open' || (task.overdueAt && !task.reassignAt)) return 'settled'
        const now = clock.now()
        const events: NewEvent[] = []
        let outcome: 'overdue' | 'reassigned' | 'early' = 'early'
        if (!task.overdueAt) {
          if (await rebookIfEarly(tx, boss, 'contact-overdue', { taskId: id }, task.dueAt, now)) return 'early'
          events.push(await announceOverdue(tx, lead, task, now))
          outcome = 'overdue'
        }
        if (task.reassignAt && task.reassignAt <= latestOnTime(now)) {
          events.push(...(await reassignUncontacted(tx, lead, task, now)))
          outcome = 'reassigned'
        } else if (task.reassignAt) {
          await sendInTx(tx, boss, 'contact-overdue', { taskId: id }, { at: task.reassignAt, now })
        }
        await appendEvents(tx, { boss, logger }, events)
        return outcome
      })
    },
  }

  async function announceOverdue(tx: Tx, lead: LeadRow, task: TaskRow, now: Date): Promise<NewEvent> {
    const marked = await repo.updateTask(tx, task.id, { overdueAt: now, updatedAt: now })
    const overdueBySeconds = Math.round((now.getTime() - task.dueAt.getTime()) / 1000)
    const handoff = task.handoffId ? await findHandoff(tx, task.handoffId) : undefined
    const managerId = handoff ? await managerFor(tx, handoff) : await managerOf(tx, task.repId)
    const manager = (managerId && (await findRepRef(tx, managerId))) || null
    const reassignAt = task.reassignAt?.toISOString() ?? null
    return newEvent(
      'lead.contact_overdue',
      { lead: snapshot(lead), task: toTask(marked), overdueBySeconds, manager, reassignAt },
      now,
      lead.id,
    )
  }

  /**
   * The owner did not make the first contact in time: their task is cancelled, the lead is
   * theirs no more, and it goes back into routing to a rep who has not had it.
   */
  async function reassignUncontacted(tx: Tx, lead: LeadRow, task: TaskRow, now: Date): Promise<NewEvent[]> {
    if (lead.status !== 'accepted' || lead.ownerId !== task.repId || !task.handoffId) return []
    const accepted = (await releaseOwner(tx, lead, 'first contact overdue', now))!
    const released = await updateLead(tx, lead.id, { ownerId: null, updatedAt: now })
    return reroute(tx, released, accepted, now, { actor: { type: 'system', id: null }, reason: 'contact_overdue', mode: 'routing' })
  }
}

export type TasksService = ReturnType<typeof createTasksService>

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    leadId: row.leadId,
    repId: row.repId,
    handoffId: row.handoffId,
    kind: row.kind,
    title: row.title,
    status: row.status,
    dueAt: row.dueAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    overdueAt: row.overdueAt?.toISOString() ?? null,
    reassignAt: row.reassignAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}
