import type { Tx } from '../../db/client.ts'
import type { HandoffState, LeadRow, TaskRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { rebookIfEarly, sendInTx } from '../../lib/jobs.ts'
import { Conflict, Forbidden, NotFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents, type NewEvent } from '../events/events.repo.ts'
import { newEvent } from '../events/events.service.ts'
import { findLead } from '../leads/leads.repo.ts'
import { snapshot } from '../leads/lead.ts'
import { dueAt, type Schedule } from '../reps/working-time.ts'
import * as repo from './tasks.repo.ts'
import type { ListTasksQuery, Task } from './tasks.schemas.ts'

/**
 * The first-contact task an acceptance creates, with its overdue job; returns the task.created
 * event. It falls due after `dueInSeconds` of the owner's working time (`schedule`).
 */
export async function createFirstContactTask(
  tx: Tx,
  boss: ServiceDeps['boss'],
  {
    lead,
    handoff,
    dueInSeconds,
    schedule,
    now,
  }: { lead: LeadRow; handoff: HandoffState; dueInSeconds: number; schedule: Schedule; now: Date },
): Promise<NewEvent> {
  const row = await repo.insertTask(tx, {
    id: newId(),
    leadId: lead.id,
    repId: handoff.repId,
    handoffId: handoff.id,
    kind: 'first_contact',
    title: `First contact with ${lead.company ?? lead.email}`,
    status: 'open',
    dueAt: dueAt(now, dueInSeconds, 'working', schedule),
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
export function createTasksService({ db, clock, boss, logger }: Pick<ServiceDeps, 'db' | 'clock' | 'boss' | 'logger'>) {
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
     * The `contact-overdue` job: once the first contact is due and still not made, emits
     * lead.contact_overdue, once per task (overdueAt records that it went out).
     */
    async overdue(id: string): Promise<'overdue' | 'settled' | 'early'> {
      return db.transaction(async (tx) => {
        const task = await repo.lockTask(tx, id)
        if (!task || task.status !== 'open' || task.overdueAt) return 'settled'
        const now = clock.now()
        if (await rebookIfEarly(tx, boss, 'contact-overdue', { taskId: id }, task.dueAt, now)) return 'early'
        const marked = await repo.updateTask(tx, id, { overdueAt: now, updatedAt: now })
        const lead = (await findLead(tx, task.leadId))!
        const overdueBySeconds = Math.round((now.getTime() - task.dueAt.getTime()) / 1000)
        await appendEvents(tx, { boss, logger }, [
          newEvent('lead.contact_overdue', { lead: snapshot(lead), task: toTask(marked), overdueBySeconds }, now, lead.id),
        ])
        return 'overdue'
      })
    },
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
    createdAt: row.createdAt.toISOString(),
  }
}
