import { desc, eq, lt, sql } from 'drizzle-orm'
import { prepared } from '../../db/prepared.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import { repAnswers, repLoads, routingRulesets, type RulesetRow } from '../../db/schema/index.ts'
import type { RepState } from './eligibility.ts'
import type { Candidates, TeamState } from './engine.ts'
import type { MatchedAccount } from './account-owner.ts'
import type { FitStats } from './fit.ts'
import type { Ruleset } from '../../db/schema/json/ruleset.ts'
import { domainAndParents } from '../../lib/domains.ts'

// Publishing takes this transaction-scoped lock so concurrent PUTs get consecutive versions.
const PUBLISH_LOCK_KEY = 7_314_026_004

export async function latestVersion(db: Queryable): Promise<number | undefined> {
  const [row] = await db.select({ version: sql<number | null>`max(${routingRulesets.version})` }).from(routingRulesets)
  return row?.version ?? undefined
}

export async function rulesetAt(db: Queryable, version: number): Promise<RulesetRow | undefined> {
  const [row] = await db.select().from(routingRulesets).where(eq(routingRulesets.version, version))
  return row
}

/** Versions newest first, below `before` when paging. */
export async function listVersions(db: Queryable, { before, limit }: { before?: number; limit: number }): Promise<RulesetRow[]> {
  const query = db.select().from(routingRulesets)
  return (before ? query.where(lt(routingRulesets.version, before)) : query).orderBy(desc(routingRulesets.version)).limit(limit + 1)
}

export async function publishRuleset(tx: Tx, ruleset: Ruleset, at: Date): Promise<RulesetRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PUBLISH_LOCK_KEY})`)
  const next = ((await latestVersion(tx)) ?? 0) + 1
  const [row] = await tx.insert(routingRulesets).values({ version: next, ruleset, createdAt: at }).returning()
  return row!
}

/**
 * Which of these teams exist and which reps are live. With `lock` (publishing), they are
 * locked so neither can be deleted before the caller commits; a simulation reads only.
 */
export async function findTargets(
  db: Queryable,
  teamIds: string[],
  repIds: string[],
  lock: boolean,
): Promise<{ teams: Set<string>; reps: Set<string> }> {
  const forShare = sql.raw(lock ? 'for share' : '')
  const { rows } = await db.execute<{ id: string }>(sql`select id from teams where id = any(${sql.param(teamIds)}::uuid[]) ${forShare}`)
  const { rows: repRows } = await db.execute<{ id: string }>(sql`
    select id from reps where id = any(${sql.param(repIds)}::uuid[]) and deleted_at is null ${forShare}`)
  return { teams: new Set(rows.map((r) => r.id)), reps: new Set(repRows.map((r) => r.id)) }
}

/** True when the live ruleset names this team or rep (it may not be deleted then). */
export async function namedByLiveRuleset(db: Queryable, target: { teamId: string } | { repId: string }): Promise<boolean> {
  const [key, id] = 'teamId' in target ? ['teamId', target.teamId] : ['repId', target.repId]
  const { rows } = await db.execute<{ named: boolean }>(sql`
    select coalesce(bool_or(
      jsonb_path_exists(ruleset, ${`$.rules[*].assign ? (@.${key} == $id)`}::jsonpath, jsonb_build_object('id', ${id}::text))
      or jsonb_path_exists(ruleset, ${`$.fallback ? (@.${key} == $id)`}::jsonpath, jsonb_build_object('id', ${id}::text))
    ), false) as named
    from routing_rulesets where version = (select max(version) from routing_rulesets)`)
  return rows[0]?.named === true
}

/** The account each of these domains belongs to (its own, else its nearest registered parent's), by domain. */
export async function accountsByDomain(db: Queryable, domains: string[]): Promise<Map<string, MatchedAccount>> {
  const lookups = new Map(domains.map((domain) => [domain, domainAndParents(domain)]))
  const { rows } = await db.execute<{ domain: string; id: string; name: string; ownerId: string | null }>(sql`
    select d.domain, a.id, a.name, a.owner_id as "ownerId" from account_domains d join accounts a on a.id = d.account_id
    where d.domain = any(${sql.param([...new Set([...lookups.values()].flat())])}::text[])`)
  const registered = new Map(rows.map((row) => [row.domain, row]))
  const found = new Map<string, MatchedAccount>()
  for (const [domain, candidates] of lookups) {
    const match = candidates.map((c) => registered.get(c)).find((row) => row !== undefined)
    if (match) found.set(domain, { ...match, matchedBy: match.domain === domain ? 'domain' : 'parent_domain' })
  }
  return found
}

/** The first rep each lead was offered to (attempt 1), with the rule and version that chose them. */
export async function firstHandoffs(db: Queryable, leadIds: string[]) {
  const { rows } = await db.execute<{ leadId: string; repId: string; rule: string | null; version: number | null }>(sql`
    select distinct on (lead_id) lead_id as "leadId", rep_id as "repId", rule_name as rule, ruleset_version as version
    from handoffs where lead_id = any(${sql.param(leadIds)}::uuid[]) order by lead_id, attempt`)
  return new Map(rows.map((r) => [r.leadId, r]))
}

type AccountRef = { id: string; name: string; ownerId: string | null }
type CandidateRows = {
  account: (AccountRef & { domain: string }) | null
  named: AccountRef[] | null
  teams: Array<{ id: string; name: string; strategy: TeamState['strategy']; members: TeamState['members'] }> | null
  reps: Array<Omit<RepState, 'deleted'> & { email: string; deletedAt: string | null }> | null
}

/** A rep as events and answers name it. */
export interface RepRef {
  id: string
  name: string
  email: string
}

const candidatesQuery = prepared.sql<CandidateRows>(
  () => sql`
    with account as (
      select a.id, a.name, a.owner_id as "ownerId", d.domain from account_domains d join accounts a on a.id = d.account_id
      where d.domain = any(${sql.placeholder('domains')}::text[]) order by length(d.domain) desc limit 1
    ), named as (
      select a.id, a.name, a.owner_id as "ownerId" from accounts a
      where baton_company_key(a.name) = baton_company_key(${sql.placeholder('company')}::text) order by a.id limit 2
    ), team as (
      select t.id, t.name, t.strategy,
        coalesce(json_agg(json_build_object('repId', m.rep_id, 'weight', m.weight) order by m.joined_at, m.rep_id)
          filter (where m.rep_id is not null), '[]') as members
      from teams t left join team_members m on m.team_id = t.id
      where t.id = any(${sql.placeholder('teamIds')}::uuid[]) group by t.id
    ), wanted as (
      select unnest(${sql.placeholder('repIds')}::uuid[]) as id
      union select m.rep_id from team_members m where m.team_id = any(${sql.placeholder('teamIds')}::uuid[])
      union select "ownerId" from account where "ownerId" is not null
      union select "ownerId" from named where "ownerId" is not null
    )
    select
      (select row_to_json(account) from account) as account,
      (select json_agg(named) from named) as named,
      (select json_agg(team) from team) as teams,
      (select json_agg(json_build_object(
          'id', r.id, 'name', r.name, 'email', r.email, 'timezone', r.timezone, 'workingHours', r.working_hours,
          'holidays', r.holidays, 'status', r.status, 'maxPending', r.max_pending, 'maxPerDay', r.max_per_day,
          'pending', w.pending, 'unworked', w.unworked, 'day', w.day, 'dayCount', w.day_count, 'deletedAt', r.deleted_at,
          'attributes', r.attributes))
        from reps r join rep_workload w on w.rep_id = r.id where r.id in (select id from wanted)) as reps`,
)

/**
 * The state of every rep the named teams, reps and (when asked) the lead's account owner
 * could put forward, read in one round trip. Members come in the order they joined. The
 * account is the one registered for the domain or, failing that, its nearest parent;
 * `company` also looks accounts up by name (matchCompanyName).
 */
export async function loadCandidates(
  db: Queryable,
  { teamIds, repIds, domain, company = null }: { teamIds: string[]; repIds: string[]; domain: string | null; company?: string | null },
): Promise<Candidates & { refs: Map<string, RepRef> }> {
  const domains = domain ? domainAndParents(domain) : []
  const [row] = await candidatesQuery(db, { teamIds, repIds, domains, company })
  const reps = new Map<string, RepState>()
  const refs = new Map<string, RepRef>()
  for (const { email, deletedAt, ...rep } of row?.reps ?? []) {
    reps.set(rep.id, { ...rep, deleted: deletedAt !== null })
    refs.set(rep.id, { id: rep.id, name: rep.name, email })
  }
  const teams = new Map((row?.teams ?? []).map((t) => [t.id, { ...t, turn: null }]))
  const found = row?.account
  const account = found ? { ...found, matchedBy: found.domain === domain ? ('domain' as const) : ('parent_domain' as const) } : null
  return { reps, teams, account, ...(company ? { accountsByName: row?.named ?? [] } : {}), refs }
}

/** The name of the sequence a team's rotation turns come from. */
export const turnSequence = (teamId: string) => `team_turns_${teamId.replaceAll('-', '')}`

export async function createTurnSequence(tx: Tx, teamId: string): Promise<void> {
  await tx.execute(sql.raw(`create sequence if not exists "${turnSequence(teamId)}"`))
}

export async function dropTurnSequence(tx: Tx, teamId: string): Promise<void> {
  await tx.execute(sql.raw(`drop sequence if exists "${turnSequence(teamId)}"`))
}

const nextTurnQuery = prepared.sql<{ turn: string }>(() => sql`select nextval(${sql.placeholder('sequence')}::regclass) as turn`)

/**
 * The team's next rotation turn. A sequence, not a counter row: concurrent leads of one
 * team each get their own turn without waiting on each other (a row would make every
 * lead of the team queue behind the one before it until commit). A lead whose
 * transaction rolls back leaves its turn unused: its rep misses that one turn.
 */
export async function nextTurn(tx: Tx, teamId: string): Promise<number> {
  const [row] = await nextTurnQuery(tx, { sequence: turnSequence(teamId) })
  return Number(row!.turn)
}

/** The turn each team's next lead would take, without taking it (for simulations). */
export async function peekTurns(db: Queryable, teamIds: string[]): Promise<Map<string, number>> {
  const turns = new Map<string, number>()
  for (const teamId of teamIds) {
    const { rows } = await db.execute<{ turn: string }>(
      sql.raw(`select case when is_called then last_value + 1 else last_value end as turn from "${turnSequence(teamId)}"`),
    )
    turns.set(teamId, Number(rows[0]?.turn ?? 1))
  }
  return turns
}

const claimQuery = prepared.sql<{ rep_id: string }>(() => {
  const [today, at, repId] = [sql.placeholder('today'), sql.placeholder('at'), sql.placeholder('repId')]
  return sql`
    update rep_loads l set
      claimed = l.claimed + 1,
      day_count = case when l.day = ${today}::date then l.day_count + 1 else 1 end,
      day = ${today}::date,
      last_assigned_at = ${at}
    from reps r
    where l.rep_id = ${repId} and r.id = l.rep_id and r.deleted_at is null and r.status = 'available'
      and (r.max_pending is null
        or l.claimed - coalesce((select a.released from rep_answers a where a.rep_id = l.rep_id), 0) < r.max_pending)
      and (r.max_per_day is null or l.day is distinct from ${today}::date or l.day_count < r.max_per_day)
    returning l.rep_id`
})

/**
 * Takes one unit of the rep's capacity, if they still have it: one conditional UPDATE.
 * Concurrent claims on one rep queue on its load row and each re-checks the limits
 * against the row as the one before left it, so a rep of capacity 3 never gets a 4th;
 * a claim that finds the rep full (or away, or deleted by now) changes and locks nothing.
 * Releases are read from rep_answers as of the statement's start: one committed just
 * after can only make the rep look busier, never let a claim past the limit.
 */
export async function claimCapacity(tx: Tx, repId: string, today: string, at: Date): Promise<boolean> {
  return (await claimQuery(tx, { repId, today, at })).length === 1
}

export async function insertRepLoad(db: Queryable, repId: string): Promise<void> {
  await db.insert(repLoads).values({ repId }).onConflictDoNothing()
  await db.insert(repAnswers).values({ repId }).onConflictDoNothing()
}

/** Won and lost deals in one segment (industry), per owner and in all: best_fit's record. */
export async function loadFitStats(db: Queryable, segment: string): Promise<FitStats> {
  const { rows } = await db.execute<{ owner_id: string | null; wins: number; losses: number }>(sql`
    select owner_id, count(*) filter (where outcome = 'won')::int as wins, count(*) filter (where outcome = 'lost')::int as losses
    from leads where outcome is not null and coalesce(nullif(lower(trim(industry)), ''), 'unknown') = ${segment}
    group by owner_id`)
  const reps = new Map<string, { wins: number; losses: number }>()
  const total = { wins: 0, losses: 0 }
  for (const row of rows) {
    total.wins += row.wins
    total.losses += row.losses
    if (row.owner_id) reps.set(row.owner_id, { wins: row.wins, losses: row.losses })
  }
  return { segment, total, reps }
}
