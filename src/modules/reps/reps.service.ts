import { assertTargets, sealTargets, targetView } from '../notifications/targets.ts'
import { loadSecretBox } from '../../lib/secret-box.ts'
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
  config,
  clock,
  boss,
  logger,
  handBacks,
  handBackOwned,
}: Pick<ServiceDeps, 'db' | 'config' | 'clock' | 'boss' | 'logger'> & {
  handBacks: HandBack
  /** The leads a rep owns, back into routing (leads' reassign.ts). */
  handBackOwned: (repId: string, include: 'unworked' | 'open', actor: HandBackActor) => Promise<number>
}) {
  async function bookReturn(tx: Tx, rep: RepRow, now: Date): Promise<void> {
    await sendInTx(tx, boss, 'rep-away-until', { repId: rep.id, awayUntil: rep.awayUntil!.toISOString() }, { at: rep.awayUntil!, now })
  }

  return {
    async create(input: CreateRepBody): Promise<Rep> {
      const now = clock.now()
      const id = newId()
      await assertTargets(input.notificationTargets, config.webhooks)
      const targets = input.notificationTargets && sealTargets(input.notificationTargets, [], await loadSecretBox(config))
      return db.transaction(async (tx) => {
        await assertValid(tx, id, input)
        const row = await saveUniqueEmail(input.email, () =>
          repo.insertRep(tx, {
            id,
            ...toColumns(input),
            ...(targets ? { notificationTargets: targets } : {}),
            createdAt: now,
            updatedAt: now,
          }),
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
      // Outside the transaction: checking a URL may wait on DNS.
      await assertTargets(fields.notificationTargets, config.webhooks)
      const box = await loadSecretBox(config)
      const row = await db.transaction(async (tx) => {
        const before = await mustFind(tx, id, 'update')
        const now = clock.now()
        await assertValid(tx, id, fields)
        const availability = availabilityAfter(before, changes, now)
        const targets = fields.notificationTargets && sealTargets(fields.notificationTargets, before.notificationTargets, box)
        // Only the columns named in the patch are written: `capacity: {maxPerDay}` leaves maxPending alone.
        const row = await saveUniqueEmail(changes.email, () =>
          repo.updateRep(tx, id, {
            ...toColumns(fields),
            ...availability,
            ...(targets ? { notificationTargets: targets } : {}),
            updatedAt: now,
          }),
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
     * manager: its managerId or the manager of one of its teams, as a team's manager reassigns
     * the team's leads): their pending offers move on now; `unworked` also returns the accepted
     * leads not yet contacted, `open` every lead they own that is not converted or closed. In
     * batches, one transaction per handoff or lead; a second call moves nothing more.
     */
    async handBack(id: string, include: HandBackBody['include'], principal: Principal): Promise<HandedBack> {
      await mustFind(db, id)
      const managing = principal.role === 'rep' && principal.repId !== id && (await repo.isManagedBy(db, id, principal.repId!))
      if (principal.role === 'rep' && !managing) throw new Forbidden("Only an admin or the rep's manager hands a rep's work back.")
      const actor = managing
        ? { type: 'manager' as const, id: principal.repId! }
        : { type: 'admin' as const, id: principal.subject ?? null }
      return moveWork(id, include, actor, `handed back by ${actor.type === 'manager' ? 'their manager' : 'an admin'}`)
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
     * Deletion is refused (409, with what is in the way) while the rep owns accounts, manages
     * reps or teams, is named by the live routing rules, or holds work: offers pending, leads
     * owned and open. With `handBack: 'open'` the rep leaves its teams, its work is handed back
     * (as POST /v1/reps/:id/hand-back {include: open}) and the rep is deleted once it holds
     * nothing. The rep leaves its teams and is soft-deleted, so that leads, handoffs and events
     * that name it stay readable.
     */
    async remove(id: string, { handBack, principal }: { handBack?: 'open'; principal?: Principal } = {}): Promise<HandedBack | undefined> {
      if (!handBack) {
        const left = await db.transaction((tx) => deleteIfFree(tx, id))
        if (left) throw conflict(left)
        return undefined
      }
      await db.transaction(async (tx) => {
        if (!(await repo.lockForDeletion(tx, id))) throw new NotFound(`No rep with id ${id}.`)
        // What a hand-back cannot move refuses the deletion before anything moves.
        const before = await dependentsOf(tx, id)
        if (blocksBesidesWork(before)) throw conflict(before)
        // It leaves its teams now, as the deletion would: else routing keeps giving it leads while
        // they are handed back (a least_loaded team picks an emptied rep first, every time).
        await repo.leaveTeams(tx, id)
      })
      const actor = { type: 'admin' as const, id: principal?.subject ?? null }
      const moved = { pending: 0, leads: 0 }
      // A lead routed to the rep between its hand-back and its deletion is handed back in the next round.
      for (let round = 1; ; round++) {
        const thisRound = await moveWork(id, 'open', actor, 'handed back by an admin: the rep is deleted')
        moved.pending += thisRound.pending
        moved.leads += thisRound.leads
        const left = await db.transaction((tx) => deleteIfFree(tx, id))
        if (!left) return moved
        if (blocksBesidesWork(left) || round === DELETE_ROUNDS) throw conflict(left)
      }
    },
  }

  async function moveWork(id: string, include: HandBackBody['include'], actor: HandBackActor, reason: string): Promise<HandedBack> {
    const pending = await handBacks.pending(id, reason)
    const leads = include === 'pending' ? 0 : await handBackOwned(id, include, actor)
    return { pending, leads }
  }

  /**
   * Deletes the rep if nothing depends on it; else deletes nothing and answers what does (the
   * transaction may still commit: the load row closeToNewLeads wrote again is as it was).
   */
  async function deleteIfFree(tx: Tx, id: string): Promise<Dependents | undefined> {
    if (!(await repo.lockForDeletion(tx, id))) throw new NotFound(`No rep with id ${id}.`)
    await repo.closeToNewLeads(tx, id)
    const dependents = await dependentsOf(tx, id)
    if (Object.values(dependents).some((n) => n > 0)) return dependents
    await repo.softDeleteRep(tx, id, clock.now())
    return undefined
  }
}

/** Rounds of hand-back and deletion before DELETE ?handBack=open gives up on a rep that keeps receiving leads (409). */
const DELETE_ROUNDS = 5

/** What a hand-back moved: pending offers re-routed, owned leads sent back into routing. */
export type HandedBack = { pending: number; leads: number }
type HandBackActor = { type: 'admin' | 'manager'; id: string | null }
type Dependents = Awaited<ReturnType<typeof dependentsOf>>

/** Everything that keeps a rep from being deleted, counted. */
async function dependentsOf(db: Queryable, id: string) {
  return { ...(await repo.repDependents(db, id)), routingRules: (await namedByLiveRuleset(db, { repId: id })) ? 1 : 0 }
}

/** Accounts, reports, teams or rules: what only a person can move, unlike offers and leads. */
function blocksBesidesWork({ pendingOffers: _p, openLeads: _o, ...others }: Dependents): boolean {
  return Object.values(others).some((n) => n > 0)
}

/** The 409 that names what is in the way, with the counts in `conflicts`. */
function conflict(dependents: Dependents) {
  const listed = Object.entries(dependents)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`)
    .join(', ')
  return withProblemMembers(new Conflict(`The rep still has ${listed}; reassign them first.`), { conflicts: dependents })
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
    notificationTargets: row.notificationTargets.map(targetView),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
