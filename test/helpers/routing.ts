import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from './app.ts'
import { apiClient } from './api.ts'

/** A well-formed id that names nothing. */
export const GHOST = '01900000-0000-7000-8000-000000000000'
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
/** The content type of every problem+json answer. */
export const PROBLEM = 'application/problem+json; charset=utf-8'
/** Monday to Friday, 09:00–17:00, as the reps API takes working hours. */
export const NINE_TO_FIVE = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [{ start: '09:00', end: '17:00' }]]))
/** Signals that make a lead qualify, in the demo tier. */
export const DEMO = { signals: { demoRequested: true } }

/** The JSON pointers of a 422 answer's errors, sorted. */
export const pointers = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer).sort()
/** A rule's assign to a team. */
export const team = (teamId: string) => ({ type: 'team', teamId })
/** A rule's assign to a rep. */
export const rep = (repId: string) => ({ type: 'rep', repId })

/**
 * A Baton of the test's own with helpers to set it up. ROLE=api: no pg-boss workers, so
 * no job routes a lead behind the test's back; the tests run the jobs' work by hand.
 */
export async function harness(t: Test, start?: string, env: Record<string, string> = {}) {
  const baton = await buildTestApp(t, { env: { ROLE: 'api', ...env }, ...(start ? { start } : {}) })
  const { call, ok, sql } = apiClient(baton)
  let reps = 0
  let teams = 0
  let leads = 0
  return {
    baton,
    call,
    ok,
    sql,
    /** A fresh rep (always working, no limits unless `extra` says so); its id. */
    newRep: async (extra: object = {}): Promise<string> => {
      reps++
      return (await ok('POST', '/v1/reps', { name: `Rep ${reps}`, email: `rep${reps}@baton.example`, timezone: 'UTC', ...extra }, 201)).id
    },
    newTeam: async (members: Array<string | { repId: string; weight: number }>, strategy = 'round_robin'): Promise<string> => {
      teams++
      const list = members.map((m) => (typeof m === 'string' ? { repId: m } : m))
      return (await ok('POST', '/v1/teams', { name: `Team ${teams}`, strategy, members: list }, 201)).id
    },
    publish: async (rules: object[], fallback: object | null = null) => ok('PUT', '/v1/routing', { rules, fallback }, 200),
    /** POST /v1/leads as an integration, with a fresh email; the 201 answer. */
    postLead: async (extra: object = {}, domain = 'corp.example') => {
      leads++
      return ok('POST', '/v1/leads', { email: `lead${leads}@${domain}`, ...DEMO, ...extra }, 201, 'integration')
    },
    events: async (leadId: string) => sql('select type, data from events where lead_id = $1 order by position', [leadId]),
    pending: async (repId: string): Promise<number> =>
      (await sql('select pending from rep_workload where rep_id = $1', [repId]))[0].pending,
    setStatus: async (repId: string, status: 'away' | 'available') => ok('PATCH', `/v1/reps/${repId}`, { status }, 200),
  }
}
