import type { Test } from 'tap'
import { buildTestApp } from './app.ts'
import { apiClient } from './api.ts'

/** A well-formed id that names nothing. */
export const NOBODY = '01900000-0000-7000-8000-000000000000'
/** The content type of every problem+json answer. */
export const PROBLEM = 'application/problem+json; charset=utf-8'

/** A handoff row as the tests read it back (snake_case columns). */
export interface HandoffRecord {
  id: string
  rep_id: string
  status: string
  attempt: number
  rule_name: string | null
  deadline_at: Date
  created_at: Date
  responded_at: Date | null
}

/**
 * A Baton of the test's own with the setup and inspection a handoff test needs.
 * Manual clock by default, and ROLE=api so no worker expires or sweeps behind the
 * test's back: the test runs the deadline job's work itself with `expire`.
 * `realTime`: the system clock and the real workers (ROLE=all).
 */
export async function handoffHarness(
  t: Test,
  { env = {}, realTime = false, start }: { env?: Record<string, string>; realTime?: boolean; start?: string } = {},
) {
  const baton = await buildTestApp(t, { env: { ...(realTime ? {} : { ROLE: 'api' }), ...env }, realTime, ...(start ? { start } : {}) })
  const { call, ok, sql } = apiClient(baton)
  const service = baton.services.handoffs
  let reps = 0
  let leads = 0

  const h = {
    baton,
    call,
    ok,
    sql,
    service,
    sweeper: baton.services.unrouted,
    /** A fresh rep, always working, no limits; its id. */
    newRep: async (extra: object = {}): Promise<string> => {
      reps++
      return (await ok('POST', '/v1/reps', { name: `Rep ${reps}`, email: `rep${reps}@baton.example`, timezone: 'UTC', ...extra }, 201)).id
    },
    newTeam: async (repIds: string[], managerId?: string): Promise<string> =>
      (
        await ok(
          'POST',
          '/v1/teams',
          {
            name: `Team ${reps}`,
            strategy: 'round_robin',
            members: repIds.map((repId) => ({ repId })),
            ...(managerId ? { managerId } : {}),
          },
          201,
        )
      ).id,
    /** One rule sending every lead to the team, with its own deadline if given. */
    routeTo: async (teamId: string, acceptWithinSeconds?: number) =>
      ok(
        'PUT',
        '/v1/routing',
        {
          rules: [{ name: 'everyone', assign: { type: 'team', teamId }, ...(acceptWithinSeconds ? { acceptWithinSeconds } : {}) }],
          fallback: null,
        },
        200,
      ),
    /** A team of `size` fresh reps that every lead goes to; the reps' ids. */
    setup: async (size: number, { managerId, acceptWithinSeconds }: { managerId?: string; acceptWithinSeconds?: number } = {}) => {
      const repIds: string[] = []
      for (let i = 0; i < size; i++) repIds.push(await h.newRep())
      const teamId = await h.newTeam(repIds, managerId)
      await h.routeTo(teamId, acceptWithinSeconds)
      return { repIds, teamId }
    },
    /** POST /v1/leads of a qualifying (demo tier) lead, with a fresh email; the raw answer. */
    tryPostLead: async () => {
      leads++
      return call('POST', '/v1/leads', { email: `lead${leads}@acme.example`, signals: { demoRequested: true } }, 'integration')
    },
    /** The same, required to succeed; the 201 answer. */
    postLead: async () => {
      const res = await h.tryPostLead()
      if (res.statusCode !== 201) throw new Error(`POST /v1/leads: expected 201, got ${res.statusCode} ${res.body}`)
      return res.json()
    },
    lead: async (id: string) => ok('GET', `/v1/leads/${id}`, undefined, 200),
    repStatus: async (id: string): Promise<string> => (await ok('GET', `/v1/reps/${id}`, undefined, 200)).status,
    /** The lead's handoffs, by attempt. */
    handoffs: async (leadId: string) =>
      sql<HandoffRecord>(
        'select id, rep_id, status, attempt, rule_name, deadline_at, created_at, responded_at from handoffs where lead_id = $1 order by attempt',
        [leadId],
      ),
    /** The lead's events in feed order. */
    events: async (leadId: string) =>
      sql<{ type: string; data: Record<string, unknown> }>('select type, data from events where lead_id = $1 order by position', [leadId]),
    eventCount: async (): Promise<number> => (await sql<{ n: number }>('select count(*)::int as n from events'))[0]!.n,
    load: async (repId: string) =>
      (
        await sql<{ pending: number; unworked: number; expired_in_row: number }>(
          'select pending, unworked, expired_in_row from rep_workload where rep_id = $1',
          [repId],
        )
      )[0]!,
    /** Moves the manual clock to `ms` after the handoff's deadline (never backwards). */
    pastDeadline: (handoff: { deadlineAt: string }, ms = 1000) => {
      baton.clock.advance(Math.max(0, Date.parse(handoff.deadlineAt) + ms - baton.clock.now().getTime()))
    },
    /** What the deadline job does, run by hand a second after the deadline. */
    expire: async (handoff: { id: string; deadlineAt: string }) => {
      h.pastDeadline(handoff)
      return service.expire(handoff.id)
    },
    /** The lead's pending handoff, as the API shows it (or undefined). */
    pendingOf: async (leadId: string) => {
      const [row] = await sql<{ id: string }>("select id from handoffs where lead_id = $1 and status = 'pending'", [leadId])
      return row ? ok('GET', `/v1/handoffs/${row.id}`, undefined, 200) : undefined
    },
  }
  return h
}

export type HandoffHarness = Awaited<ReturnType<typeof handoffHarness>>

/**
 * Three leads offered to `repId` (others go to the other reps): the first accepted and not
 * yet contacted, the second accepted and called, the third still pending.
 */
export async function threeLeadsOf(h: HandoffHarness, repId: string) {
  const theirs: Array<{ lead: { id: string }; handoff: { id: string; repId: string } }> = []
  while (theirs.length < 3) {
    const posted = await h.postLead()
    if (posted.handoff.repId === repId) theirs.push(posted)
  }
  const [unworked, contacted, pending] = theirs as [(typeof theirs)[0], (typeof theirs)[0], (typeof theirs)[0]]
  for (const { handoff } of [unworked, contacted]) await h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', repId)
  await h.ok('POST', `/v1/leads/${contacted.lead.id}/activities`, { type: 'call' }, 201, 'rep', repId)
  return { unworked, contacted, pending }
}
