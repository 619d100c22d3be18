import { sql, type SQL } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'

export const GROUP_BYS = ['rep', 'team', 'source', 'rule', 'tier'] as const
export type GroupBy = (typeof GROUP_BYS)[number]

export interface Window {
  from: Date
  to: Date
  /** "Now" for leads still waiting (their unrouted time so far). */
  now: Date
}

/** What one lead-level query row carries (numbers come back from PostgreSQL as text). */
export type LeadFigures = {
  key: string | null
  is_total: boolean
  received: number
  qualified: number
  disqualified: number
  assigned: number
  accepted: number
  contacted: number
  converted: number
  accept_p50: number | null
  accept_p90: number | null
  accept_p99: number | null
  contact_p50: number | null
  contact_p90: number | null
  contact_p99: number | null
  accepted_working: number
  accept_working_p50: number | null
  accept_working_p90: number | null
  accept_working_p99: number | null
  contacted_working: number
  contact_working_p50: number | null
  contact_working_p90: number | null
  contact_working_p99: number | null
  first_contact_tasks: number
  first_contact_overdue: number
  rerouted: number
  escalated: number
  unrouted: number
  unrouted_p50: number | null
  unrouted_p90: number | null
  unrouted_p99: number | null
}

export type HandoffFigures = {
  key: string | null
  is_total: boolean
  offered: number
  accepted: number
  declined: number
  expired: number
  settled_wall: number
  expired_wall: number
  settled_working: number
  expired_working: number
}

// The lead's group: its owner (who accepted it) for rep; the first handoff's team and rule.
const LEAD_KEY: Record<GroupBy, SQL> = {
  rep: sql`c.owner_id::text`,
  team: sql`c.first_team_id::text`,
  rule: sql`c.first_rule`,
  source: sql`c.source`,
  tier: sql`c.tier`,
}

// A handoff's group: its own rep, team and rule; the lead's source and tier.
const HANDOFF_KEY: Record<GroupBy, SQL> = {
  rep: sql`h.rep_id::text`,
  team: sql`h.team_id::text`,
  rule: sql`h.rule_name`,
  source: sql`c.source`,
  tier: sql`c.tier`,
}

/**
 * The cohort: leads that arrived in [from, to), each with what its history says —
 * milestones, its first handoff, and the events that mark re-routing, escalation and waiting.
 */
function cohort({ from, to, now }: Window): SQL {
  return sql`
    select l.id, l.owner_id, l.source, l.tier, l.created_at,
      extract(epoch from l.accepted_at - l.created_at) as accept_s,
      extract(epoch from l.contacted_at - l.created_at) as contact_s,
      l.accept_working_seconds as accept_working_s, l.contact_working_seconds as contact_working_s,
      f.team_id as first_team_id, f.rule_name as first_rule, f.created_at as first_handoff_at,
      t.overdue, t.tasks,
      exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.qualified') as qualified,
      exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.disqualified') as disqualified,
      exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.converted') as converted,
      exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.rerouted') as rerouted,
      exists (select 1 from events e where e.lead_id = l.id and e.type = 'lead.escalated') as escalated,
      l.accepted_at is not null as accepted, l.contacted_at is not null as contacted,
      -- Unrouted time: from the first "nobody eligible" to the next handoff after it (a lead
      -- can wait after its reps let it go), or its closing, or now while it still waits.
      extract(epoch from coalesce(
        (select min(created_at) from handoffs where lead_id = l.id and created_at >= u.first_unroutable_at),
        l.closed_at, ${now}::timestamptz) - u.first_unroutable_at) as unrouted_s
    from leads l
    left join lateral (
      select team_id, rule_name, created_at from handoffs where lead_id = l.id order by attempt limit 1
    ) f on true
    left join lateral (
      -- One per acceptance: a lead reassigned after an overdue first contact has one per owner.
      select count(*) as tasks, count(overdue_at) as overdue from tasks where lead_id = l.id and kind = 'first_contact'
    ) t on true
    left join lateral (
      select min(created_at) as first_unroutable_at from events e where e.lead_id = l.id and e.type = 'lead.unroutable'
    ) u on true
    where l.created_at >= ${from} and l.created_at < ${to}`
}

/** Rows of one pass over the cohort: the whole range (is_total) and, with a groupBy, each group. */
type Grouped<R> = { total: R | undefined; groups: R[] }

/**
 * `group by grouping sets ((), (key))`: the totals and the groups in one pass, so the
 * cohort (three lateral joins and five EXISTS per lead) is built once per answer.
 */
function grouped(key: SQL | undefined): { key: SQL; groupBy: SQL } {
  return key
    ? {
        key: sql`${key} as key, grouping(${key}) = 1 as is_total`,
        groupBy: sql`group by grouping sets ((), (${key})) order by 1 nulls last`,
      }
    : { key: sql`null::text as key, true as is_total`, groupBy: sql`` }
}

function split<R extends { is_total?: boolean }>(rows: R[]): Grouped<R> {
  return { total: rows.find((r) => r.is_total), groups: rows.filter((r) => !r.is_total) }
}

/** The lead funnel and its timings, in total and per group. `only`: just that group's leads. */
export async function leadFigures(
  db: Queryable,
  window: Window,
  groupBy: GroupBy | undefined,
  only?: string,
): Promise<Grouped<LeadFigures>> {
  const key = groupBy ? LEAD_KEY[groupBy] : undefined
  const select = grouped(key)
  const { rows } = await db.execute<LeadFigures>(sql`
    with c as (${cohort(window)})
    select ${select.key},
      count(*)::int as received,
      count(*) filter (where c.qualified)::int as qualified,
      count(*) filter (where c.disqualified)::int as disqualified,
      count(*) filter (where c.first_handoff_at is not null)::int as assigned,
      count(*) filter (where c.accepted)::int as accepted,
      count(*) filter (where c.contacted)::int as contacted,
      count(*) filter (where c.converted)::int as converted,
      percentile_cont(0.5) within group (order by c.accept_s) as accept_p50,
      percentile_cont(0.9) within group (order by c.accept_s) as accept_p90,
      percentile_cont(0.99) within group (order by c.accept_s) as accept_p99,
      percentile_cont(0.5) within group (order by c.contact_s) as contact_p50,
      percentile_cont(0.9) within group (order by c.contact_s) as contact_p90,
      percentile_cont(0.99) within group (order by c.contact_s) as contact_p99,
      count(c.accept_working_s)::int as accepted_working,
      percentile_cont(0.5) within group (order by c.accept_working_s) as accept_working_p50,
      percentile_cont(0.9) within group (order by c.accept_working_s) as accept_working_p90,
      percentile_cont(0.99) within group (order by c.accept_working_s) as accept_working_p99,
      count(c.contact_working_s)::int as contacted_working,
      percentile_cont(0.5) within group (order by c.contact_working_s) as contact_working_p50,
      percentile_cont(0.9) within group (order by c.contact_working_s) as contact_working_p90,
      percentile_cont(0.99) within group (order by c.contact_working_s) as contact_working_p99,
      coalesce(sum(c.tasks), 0)::int as first_contact_tasks,
      coalesce(sum(c.overdue), 0)::int as first_contact_overdue,
      count(*) filter (where c.rerouted)::int as rerouted,
      count(*) filter (where c.escalated)::int as escalated,
      count(c.unrouted_s)::int as unrouted,
      percentile_cont(0.5) within group (order by c.unrouted_s) as unrouted_p50,
      percentile_cont(0.9) within group (order by c.unrouted_s) as unrouted_p90,
      percentile_cont(0.99) within group (order by c.unrouted_s) as unrouted_p99
    from c
    ${key && only !== undefined ? sql`where ${key} = ${only}` : sql``}
    ${select.groupBy}`)
  return split(rows)
}

/** Handoffs offered for the cohort's leads and how they ended, in total and per group. */
export async function handoffFigures(
  db: Queryable,
  window: Window,
  groupBy: GroupBy | undefined,
  only?: string,
): Promise<Grouped<HandoffFigures>> {
  const key = groupBy ? HANDOFF_KEY[groupBy] : undefined
  const select = grouped(key)
  const { rows } = await db.execute<HandoffFigures>(sql`
    with c as (select id, source, tier from leads where created_at >= ${window.from} and created_at < ${window.to})
    select ${select.key},
      count(*)::int as offered,
      count(*) filter (where h.status in ('accepted', 'reassigned'))::int as accepted,
      count(*) filter (where h.status = 'declined')::int as declined,
      count(*) filter (where h.status = 'expired')::int as expired,
      count(*) filter (where h.clock = 'wall' and h.status in ('accepted', 'reassigned', 'declined', 'expired'))::int as settled_wall,
      count(*) filter (where h.clock = 'wall' and h.status = 'expired')::int as expired_wall,
      count(*) filter (where h.clock = 'working' and h.status in ('accepted', 'reassigned', 'declined', 'expired'))::int as settled_working,
      count(*) filter (where h.clock = 'working' and h.status = 'expired')::int as expired_working
    from handoffs h join c on c.id = h.lead_id
    ${key && only !== undefined ? sql`where ${key} = ${only}` : sql``}
    ${select.groupBy}`)
  return split(rows)
}

/** Names for rep and team keys, so answers read without a second lookup. */
export async function labels(db: Queryable, groupBy: GroupBy, keys: string[]): Promise<Map<string, string>> {
  if ((groupBy !== 'rep' && groupBy !== 'team') || keys.length === 0) return new Map()
  const table = sql.raw(groupBy === 'rep' ? 'reps' : 'teams')
  const { rows } = await db.execute<{ id: string; name: string }>(
    sql`select id::text, name from ${table} where id = any(${sql.param(keys)}::uuid[])`,
  )
  return new Map(rows.map((r) => [r.id, r.name]))
}
