import type { RepRow } from '../../db/schema/index.ts'
import { isUniqueViolation } from '../../db/errors.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, Forbidden, NotFound, invalidFields, withFieldErrors, withProblemMembers } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import { rebookIfEarly, sendInTx } from '../../lib/jobs.ts'
import type { Principal } from '../../plugins/auth.ts'
import { appendEvents } from '../events/events.repo.ts'
import type { HandBack } from '../handoffs/hand-back.ts'
import { availabilityAfter, availabilityEvents } from './availability.ts'
import * as repo from './reps.repo.ts'
import { insertRepLoad, namedByLiveRuleset } from '../routing/routing.repo.ts'
import { requestSweep } from '../routing/unrouted.ts'
import type { CreateRepBody, HandBackBody, ListRepsQuery, Rep, UpdateRepBody } from './reps.schemas.ts'
import { canonicalTimeZone, checkWorkingHours, isIanaTimeZone, isRealDate, type ScheduleError } from './working-hours.ts'

/**
 * Reps: who can receive leads, when, and how many. Any change to a rep (back from
 * away, new hours, more capacity) asks for unrouted leads to be tried again.
 */
export function createRepsService({
  db,
  clock,
  boss,
  logger,
  handBacks,
  handBackOwned,
}: Pick<ServiceDeps, 'db' | 'clock' | 'boss' | 'logger'> & {
  handBacks: HandBack
  /** The leads a rep owns, back into routing (leads' reassign.ts). */
  handBackOwned: (repId: string, include: 'unworked' | 'open', actor: { type: 'admin' | 'manager'; id: string | null }) => Promise<number>
}) {
  async function bookReturn(tx: Tx, rep: RepRow, now: Date): Promise<void> {
    await sendInTx(tx, boss, 'rep-away-until', { repId: rep.id, awayUntil: rep.awayUntil!.toISOString() }, { at: rep.awayUntil!, now })
  }

  return {
    async create(input: CreateRepBody): Promise<Rep> {
      const now = clock.now()
      const id = newId()
      return db.transaction(async (tx) => {
        await assertValid(tx, id, input)
        const row = await saveUniqueEmail(input.email, () =>
          repo.insertRep(tx, { id, ...toColumns(input), createdAt: now, updatedAt: now }),
        )
        await insertRepLoad(tx, id)
        return toRep(row)
      })
    },

    async get(id: string): Promise<Rep> {
      return toRep(await mustFind(db, id))
    },

    async list(query: ListRepsQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const rows = await repo.listReps(db, {
        limit,
        ...(after ? { after } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.email ? { email: query.email.toLowerCase() } : {}),
      })
      const page = toPage(rows, limit)
      return { data: page.data.map(toRep), nextCursor: page.nextCursor }
    },

    /**
     * An admin's change, or a rep's own (status, awayUntil, notificationTargets: the route
     * checks). A change of availability emits rep.away or rep.available naming who did it, and
     * books the job that ends an awayUntil. With handBack, the rep's pending offers are
     * withdrawn and re-routed once the change is committed.
     */
    async update(id: string, changes: UpdateRepBody, principal: Principal): Promise<Rep & { handedBack?: { pending: number } }> {
      const { handBack, awayUntil: _awayUntil, ...fields } = changes
      const actor = principal.role === 'rep' ? { type: 'rep' as const, id } : { type: 'admin' as const, id: principal.subject ?? null }
      const row = await db.transaction(async (tx) => {
        const before = await mustFind(tx, id, 'update')
        const now = clock.now()
        await assertValid(tx, id, fields)
        const availability = availabilityAfter(before, changes, now)
        // Only the columns named in the patch are written: `capacity: {maxPerDay}` leaves maxPending alone.
        const row = await saveUniqueEmail(changes.email, () =>
          repo.updateRep(tx, id, { ...toColumns(fields), ...availability, updatedAt: now }),
        )
        const events = availabilityEvents(before, row, actor, now)
        if (row.awayUntil && row.awayUntil.getTime() !== before.awayUntil?.getTime()) await bookReturn(tx, row, now)
        await requestSweep(tx, boss)
        await appendEvents(tx, { boss, logger }, events)
        return row
      })
      if (!handBack) return toRep(row)
      const by = actor.type === 'rep' ? 'the rep' : 'an admin'
      return { ...toRep(row), handedBack: { pending: await handBacks.pending(id, `handed back by ${by}`) } }
    },

    /**
     * POST /v1/reps/:id/hand-back, for a rep who leaves or goes on leave (an admin, or the rep's
     * manager): their pending offers move on now; `unworked` also returns the accepted leads not
     * yet contacted, `open` every lead they own that is not converted or closed. In batches, one
     * transaction per handoff or lead; a second call moves nothing more.
     */
    async handBack(id: string, include: HandBackBody['include'], principal: Principal): Promise<{ pending: number; leads: number }> {
      const rep = await mustFind(db, id)
      const managing = principal.role === 'rep' && rep.managerId !== null && rep.managerId === principal.repId
      if (principal.role === 'rep' && !managing) throw new Forbidden("Only an admin or the rep's manager hands a rep's work back.")
      const actor = managing
        ? { type: 'manager' as const, id: principal.repId! }
        : { type: 'admin' as const, id: principal.subject ?? null }
      const pending = await handBacks.pending(id, `handed back by ${actor.type === 'manager' ? 'their manager' : 'an admin'}`)
      const leads = include === 'pending' ? 0 : await handBackOwned(id, include, actor)
      return { pending, leads }
    },

    /**
     * The `rep-away-until` job (and the timer backstop): an away rep whose awayUntil came is
     * available again (rep.available). A job for an awayUntil since changed does nothing.
     */
    async returnFromAway(id: string, expected?: string): Promise<'available' | 'settled' | 'early'> {
      return db.transaction(async (tx) => {
        const rep = await repo.findLiveRep(tx, id, 'update')
        if (!rep || rep.status !== 'away' || !rep.awayUntil) return 'settled'
        if (expected !== undefined && rep.awayUntil.toISOString() !== expected) return 'settled'
        const now = clock.now()
        const data = { repId: id, awayUntil: rep.awayUntil.toISOString() }
        if (await rebookIfEarly(tx, boss, 'rep-away-until', data, rep.awayUntil, now)) return 'early'
        const row = await repo.updateRep(tx, id, { status: 'available', awayUntil: null, updatedAt: now })
        await requestSweep(tx, boss)
        await appendEvents(tx, { boss, logger }, availabilityEvents(rep, row, { type: 'away_until', id: null }, now))
        return 'available'
      })
    },

    /**
     * Deletion is refused (409, with what is in the way) while the rep owns accounts,
     * manages reps or teams; otherwise the rep leaves its teams and is soft-deleted so
     * that leads, handoffs and events that name it stay readable.
     */
    async remove(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        const dependents = { ...(await repo.repDependents(tx, id)), routingRules: (await namedByLiveRuleset(tx, { repId: id })) ? 1 : 0 }
        const blocking = Object.entries(dependents).filter(([, n]) => n > 0)
        if (blocking.length > 0) {
          const listed = blocking.map(([what, n]) => `${n} ${what.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`).join(', ')
          throw withProblemMembers(new Conflict(`The rep still has ${listed}; reassign them first.`), { conflicts: dependents })
        }
        await repo.softDeleteRep(tx, id, clock.now())
      })
    },
  }
}

export type RepsService = ReturnType<typeof createRepsService>

async function mustFind(db: Queryable, id: string, lock?: 'update'): Promise<RepRow> {
  const row = await repo.findLiveRep(db, id, lock)
  if (!row) throw new NotFound(`No rep with id ${id}.`)
  return row
}

async function saveUniqueEmail(email: string | undefined, save: () => Promise<RepRow>): Promise<RepRow> {
  try {
    return await save()
  } catch (error) {
    if (isUniqueViolation(error, 'reps_email_live_key')) {
      throw withFieldErrors(new Conflict(`A rep with email ${email?.toLowerCase()} already exists.`), [
        { pointer: '/email', detail: 'is already taken by another rep' },
      ])
    }
    throw error
  }
}

/** Checks what the JSON schema cannot: real zones, sane schedules, real dates, an existing manager. */
async function assertValid(db: Queryable, repId: string, input: UpdateRepBody): Promise<void> {
  const errors: ScheduleError[] = []
  if (input.name !== undefined && input.name.trim() === '') errors.push({ pointer: '/name', detail: 'must not be blank' })
  if (input.timezone !== undefined && !isIanaTimeZone(input.timezone)) {
    errors.push({ pointer: '/timezone', detail: `"${input.timezone}" is not an IANA time zone (e.g. Europe/Berlin)` })
  }
  if (input.workingHours) errors.push(...checkWorkingHours(input.workingHours))
  input.holidays?.forEach((date, i) => {
    if (!isRealDate(date)) errors.push({ pointer: `/holidays/${i}`, detail: `${date} is not a calendar date` })
  })
  if (input.managerId) {
    if (input.managerId === repId) errors.push({ pointer: '/managerId', detail: 'a rep cannot manage themselves' })
    else if (!(await repo.findLiveRep(db, input.managerId, 'share'))) errors.push({ pointer: '/managerId', detail: 'no rep has this id' })
    else if (await repo.isInManagementChain(db, input.managerId, repId)) {
      errors.push({ pointer: '/managerId', detail: 'this rep already manages that rep (directly or not): it would make a cycle' })
    }
  }
  if (errors.length > 0) throw invalidFields('The rep is invalid.', errors)
}

function toColumns(input: UpdateRepBody) {
  return {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.email !== undefined ? { email: input.email.trim().toLowerCase() } : {}),
    ...(input.timezone !== undefined ? { timezone: canonicalTimeZone(input.timezone) } : {}),
    ...(input.workingHours !== undefined ? { workingHours: input.workingHours } : {}),
    ...(input.holidays !== undefined ? { holidays: [...input.holidays].sort() } : {}),
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(input.capacity?.maxPending !== undefined ? { maxPending: input.capacity.maxPending } : {}),
    ...(input.capacity?.maxPerDay !== undefined ? { maxPerDay: input.capacity.maxPerDay } : {}),
    ...(input.attributes !== undefined ? { attributes: input.attributes } : {}),
    ...(input.managerId !== undefined ? { managerId: input.managerId } : {}),
    ...(input.notificationTargets !== undefined ? { notificationTargets: input.notificationTargets } : {}),
  } as Required<Pick<RepRow, 'name' | 'email' | 'timezone'>> & Partial<RepRow>
}

export function toRep(row: RepRow): Rep {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    timezone: row.timezone,
    workingHours: row.workingHours ?? null,
    holidays: row.holidays,
    status: row.status,
    awayUntil: row.awayUntil?.toISOString() ?? null,
    capacity: { maxPending: row.maxPending, maxPerDay: row.maxPerDay },
    attributes: row.attributes,
    managerId: row.managerId,
    notificationTargets: row.notificationTargets,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
