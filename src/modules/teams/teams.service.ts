import type { Queryable } from '../../db/client.ts'
import { isUniqueViolation } from '../../db/errors.ts'
import type { TeamMemberRow, TeamRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Conflict, NotFound, invalidFields, withFieldErrors } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { lockLiveReps } from '../reps/reps.repo.ts'
import { createTurnSequence, dropTurnSequence, namedByLiveRuleset } from '../routing/routing.repo.ts'
import { requestSweep } from '../routing/unrouted.ts'
import * as repo from './teams.repo.ts'
import type { CreateTeamBody, ListTeamsQuery, Team, UpdateTeamBody } from './teams.schemas.ts'

/**
 * Teams: which reps share a stream of leads, and by which strategy. Changes to members
 * may make someone eligible, so they ask for unrouted leads to be tried again.
 */
export function createTeamsService({ db, clock, boss }: Pick<ServiceDeps, 'db' | 'clock' | 'boss'>) {
  return {
    async create(input: CreateTeamBody): Promise<Team> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        await assertValid(tx, input)
        const team = await uniqueName(input.name, () =>
          repo.insertTeam(tx, {
            id: newId(),
            name: input.name.trim(),
            strategy: input.strategy,
            managerId: input.managerId ?? null,
            createdAt: now,
            updatedAt: now,
          }),
        )
        await repo.replaceMembers(tx, team.id, withWeights(input.members), now)
        await createTurnSequence(tx, team.id)
        await requestSweep(tx, boss)
        return toTeam(team, await repo.membersOf(tx, [team.id]))
      })
    },

    async get(id: string): Promise<Team> {
      const team = await mustFind(db, id)
      return toTeam(team, await repo.membersOf(db, [id]))
    },

    async list(query: ListTeamsQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const rows = await repo.listTeams(db, { limit, ...(after ? { after } : {}), ...(query.repId ? { repId: query.repId } : {}) })
      const page = toPage(rows, limit)
      const members = await repo.membersOf(
        db,
        page.data.map((t) => t.id),
      )
      return {
        data: page.data.map((t) =>
          toTeam(
            t,
            members.filter((m) => m.teamId === t.id),
          ),
        ),
        nextCursor: page.nextCursor,
      }
    },

    async update(id: string, changes: UpdateTeamBody): Promise<Team> {
      const now = clock.now()
      return db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        await assertValid(tx, changes)
        const team = await uniqueName(changes.name, () =>
          repo.updateTeam(tx, id, {
            ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
            ...(changes.strategy !== undefined ? { strategy: changes.strategy } : {}),
            ...(changes.managerId !== undefined ? { managerId: changes.managerId } : {}),
            updatedAt: now,
          }),
        )
        if (changes.members) await repo.replaceMembers(tx, id, withWeights(changes.members), now)
        await requestSweep(tx, boss)
        return toTeam(team, await repo.membersOf(tx, [id]))
      })
    },

    async remove(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        if (await namedByLiveRuleset(tx, { teamId: id })) {
          throw new Conflict('The live routing ruleset assigns leads to this team; publish rules without it first.')
        }
        await repo.deleteTeam(tx, id)
        await dropTurnSequence(tx, id)
      })
    },
  }
}

export type TeamsService = ReturnType<typeof createTeamsService>

async function mustFind(db: Queryable, id: string, lock?: 'update'): Promise<TeamRow> {
  const team = await repo.findTeam(db, id, lock)
  if (!team) throw new NotFound(`No team with id ${id}.`)
  return team
}

const withWeights = (members: CreateTeamBody['members']) => members.map((m) => ({ repId: m.repId, weight: m.weight ?? 1 }))

async function uniqueName(name: string | undefined, save: () => Promise<TeamRow>): Promise<TeamRow> {
  try {
    return await save()
  } catch (error) {
    if (!isUniqueViolation(error, 'teams_name_key')) throw error
    throw withFieldErrors(new Conflict(`A team named "${name?.trim()}" already exists.`), [
      { pointer: '/name', detail: 'is already taken by another team' },
    ])
  }
}

/**
 * Every member and the manager must be a live rep, locked so a concurrent delete
 * cannot slip in between this check and the insert; a rep may appear once.
 */
async function assertValid(db: Queryable, input: UpdateTeamBody): Promise<void> {
  const errors: Array<{ pointer: string; detail: string }> = []
  if (input.name !== undefined && input.name.trim() === '') errors.push({ pointer: '/name', detail: 'must not be blank' })
  const members = input.members ?? []
  const wanted = [...members.map((m) => m.repId), ...(input.managerId ? [input.managerId] : [])]
  const existing = await lockLiveReps(db, [...new Set(wanted)])
  const seen = new Set<string>()
  members.forEach((member, i) => {
    if (seen.has(member.repId)) errors.push({ pointer: `/members/${i}/repId`, detail: 'lists the same rep twice' })
    else if (!existing.has(member.repId)) errors.push({ pointer: `/members/${i}/repId`, detail: 'no rep has this id' })
    seen.add(member.repId)
  })
  if (input.managerId && !existing.has(input.managerId)) errors.push({ pointer: '/managerId', detail: 'no rep has this id' })
  if (errors.length > 0) throw invalidFields('The team is invalid.', errors)
}

function toTeam(team: TeamRow, members: TeamMemberRow[]): Team {
  return {
    id: team.id,
    name: team.name,
    strategy: team.strategy,
    managerId: team.managerId,
    members: members.map((m) => ({ repId: m.repId, weight: m.weight, joinedAt: m.joinedAt.toISOString() })),
    createdAt: team.createdAt.toISOString(),
    updatedAt: team.updatedAt.toISOString(),
  }
}
