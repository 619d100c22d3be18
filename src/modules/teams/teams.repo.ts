import { and, asc, eq, gt, inArray, notInArray, sql, type SQL } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { teamMembers, teams, type TeamMemberRow, type TeamRow } from '../../db/schema/index.ts'

export type TeamWithMembers = TeamRow & { members: TeamMemberRow[] }

export async function insertTeam(db: Queryable, row: typeof teams.$inferInsert): Promise<TeamRow> {
  const [inserted] = await db.insert(teams).values(row).returning()
  return inserted!
}

export async function findTeam(db: Queryable, id: string, lock?: 'update'): Promise<TeamRow | undefined> {
  const query = db.select().from(teams).where(eq(teams.id, id))
  const [row] = lock ? await query.for('update') : await query
  return row
}

export async function listTeams(
  db: Queryable,
  { repId, after, limit }: { repId?: string; after?: string; limit: number },
): Promise<TeamRow[]> {
  const filters: SQL[] = []
  if (after) filters.push(gt(teams.id, after))
  if (repId)
    filters.push(sql`exists (select 1 from ${teamMembers} where ${teamMembers.teamId} = ${teams.id} and ${teamMembers.repId} = ${repId})`)
  return db
    .select()
    .from(teams)
    .where(and(...filters))
    .orderBy(asc(teams.id))
    .limit(limit + 1)
}

export async function updateTeam(db: Queryable, id: string, changes: Partial<typeof teams.$inferInsert>): Promise<TeamRow> {
  const [row] = await db.update(teams).set(changes).where(eq(teams.id, id)).returning()
  return row!
}

export async function deleteTeam(db: Queryable, id: string): Promise<void> {
  await db.delete(teams).where(eq(teams.id, id))
}

/** Members of the given teams, in join order. */
export async function membersOf(db: Queryable, teamIds: string[]): Promise<TeamMemberRow[]> {
  if (teamIds.length === 0) return []
  return db
    .select()
    .from(teamMembers)
    .where(inArray(teamMembers.teamId, teamIds))
    .orderBy(asc(teamMembers.joinedAt), asc(teamMembers.repId))
}

/**
 * Makes the team's membership exactly `members`: reps who stay keep their row (and so
 * their join date and, later, their place in the rotation); only weights change.
 */
export async function replaceMembers(
  db: Queryable,
  teamId: string,
  members: Array<{ repId: string; weight: number }>,
  now: Date,
): Promise<void> {
  const keep = members.map((m) => m.repId)
  await db.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), keep.length ? notInArray(teamMembers.repId, keep) : undefined))
  if (members.length === 0) return
  await db
    .insert(teamMembers)
    .values(members.map((m) => ({ teamId, repId: m.repId, weight: m.weight, joinedAt: now })))
    .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.repId], set: { weight: sql`excluded.weight` } })
}
