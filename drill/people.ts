// The people who move work while the leads pour in (issue 20): an admin and an integration
// reassign leads (offered to a rep, transferred to one, sent back into routing), the team's
// manager and the admin hand reps' work back, and the admin deletes two silent reps with
// ?handBack=open while leads are still being routed to them. Each races the reps' accepts,
// the deadlines and the kill like any other request. Targets are picked from the database;
// the handoff whose deadline job chaos deleted, its lead and its rep are left alone, so that
// the timer backstop still has it to expire.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { call, json, type Journal, type Outcome } from './http.ts'
import type { Row } from './invariants.ts'
import type { World } from './setup.ts'

/** What the people did, and what they were told. */
// A hand-back re-routes each lead in its own transaction: a rep with a full book, on this
// machine just after the database restart, took more than the 20 s an ordinary call gets
// (CI, c73a608: one hand-back at 50 s into the drill had no answer by 70 s).
const BULK_TIMEOUT_MS = 90_000

export interface PeopleStats {
  reassigned: { offer: number; transfer: number; routing: number }
  handBacks: { calls: number; pending: number; leads: number }
  deleted: { reps: number; pending: number; leads: number }
  /** 409 or 422: the lead or the rep moved on between the pick and the request. */
  refused: number
  /** Any other 4xx (5xx and failed connections are in the journal). */
  unexpected: string[]
}

export interface PeopleOptions {
  instances: Array<{ name: string; base: string }>
  tokens: { admin: string; integration: string; manager: string }
  world: World
  databaseUrl: string
  journal: Journal
  random: () => number
  /** Fraction of the load done, 0…1. */
  progress: () => number
  lostJob: { handoffId?: string }
  signal: AbortSignal
}

const ROUND_MS = 150
const HAND_BACK_EVERY = 15
const DELETE_AT = [0.45, 0.7]
// chaos deletes a deadline job at 10 % of the load: the people start once it has picked it.
const START_AT = 0.15
const INCLUDES = ['pending', 'unworked', 'open'] as const
const MOVABLE = "('pending_acceptance', 'accepted', 'contacted', 'unrouted', 'escalated')"

export function startPeopleWork(options: PeopleOptions): { stop: () => Promise<PeopleStats> } {
  const { instances, tokens, world, journal, random, progress, signal } = options
  const stats: PeopleStats = {
    reassigned: { offer: 0, transfer: 0, routing: 0 },
    handBacks: { calls: 0, pending: 0, leads: 0 },
    deleted: { reps: 0, pending: 0, leads: 0 },
    refused: 0,
    unexpected: [],
  }
  // Reads survive the database restart: a failed pick skips a round.
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 })
  pool.on('error', () => {})
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const deleted = new Set<string>()
  let spared = { leadId: '', repId: '' }
  let stopped = false
  let round = 0
  const instance = () => instances[round % instances.length]!

  /** The answer's JSON when it is `ok`; a refusal counted; anything else but a 5xx or a lost connection noted. */
  const answered = <T>(what: string, outcome: Outcome, ok: number): T | undefined => {
    if (outcome.kind !== 'answer' || outcome.status >= 500) return undefined
    if (outcome.status === ok) return json<T>(outcome)
    if (outcome.status === 409 || outcome.status === 422) stats.refused++
    else if (stats.unexpected.length < 50) stats.unexpected.push(`${what} → ${outcome.status} ${outcome.text.slice(0, 200)}`)
    return undefined
  }
  const liveReps = (among: string[]) => among.filter((id) => !deleted.has(id) && id !== spared.repId)

  const reassign = async () => {
    const { rows } = await pool.query<{ id: string }>(
      `select id from leads where status in ${MOVABLE} and id::text <> $1 order by random() limit 1`,
      [spared.leadId],
    )
    if (!rows[0]) return
    const mode = pick(['offer', 'offer', 'transfer', 'routing'] as const)
    const byIntegration = random() < 0.5
    // An offer names the tier's window (30 min and more), not the rules' seconds: only a rep who answers can settle it in time.
    const target = pick(liveReps(mode === 'offer' ? world.accepting : world.reps))
    const body = {
      ...(mode === 'routing' ? {} : { repId: target, mode }),
      ...(byIntegration || random() < 0.5 ? { reason: `drill ${mode}` } : {}),
    }
    const token = byIntegration ? tokens.integration : tokens.admin
    const outcome = await call(journal, instance(), token, 'POST', `/v1/leads/${rows[0].id}/reassign`, body)
    if (answered('reassign', outcome, 200)) stats.reassigned[mode]++
  }

  const handBack = async () => {
    const team = pick([0, 1])
    const repId = pick(liveReps(world.members[team]!))
    const token = team === 0 ? tokens.manager : tokens.admin
    const include = pick(INCLUDES)
    const outcome = await call(journal, instance(), token, 'POST', `/v1/reps/${repId}/hand-back`, { include }, {}, BULK_TIMEOUT_MS)
    const moved = answered<{ pending: number; leads: number }>('hand-back', outcome, 200)
    if (!moved) return
    stats.handBacks.calls++
    stats.handBacks.pending += moved.pending
    stats.handBacks.leads += moved.leads
  }

  const remove = async (repId: string) => {
    deleted.add(repId)
    const outcome = await call(
      journal,
      instance(),
      tokens.admin,
      'DELETE',
      `/v1/reps/${repId}?handBack=open`,
      undefined,
      {},
      BULK_TIMEOUT_MS,
    )
    const answer = answered<{ handedBack: { pending: number; leads: number } }>('delete ?handBack=open', outcome, 200)
    if (!answer) return
    stats.deleted.reps++
    stats.deleted.pending += answer.handedBack.pending
    stats.deleted.leads += answer.handedBack.leads
  }

  const loop = (async () => {
    while (!stopped && !signal.aborted && options.lostJob.handoffId === undefined && progress() < START_AT) await sleep(100)
    if (options.lostJob.handoffId) {
      const { rows } = await pool.query<{ leadId: string; repId: string }>(
        'select lead_id as "leadId", rep_id as "repId" from handoffs where id = $1',
        [options.lostJob.handoffId],
      )
      spared = rows[0] ?? spared
    }
    // One silent rep of each team: no accepting rep's inbox disappears under it.
    const toDelete = world.members.map((team) => liveReps(team).find((id) => !world.accepting.includes(id)))
    let deletions = 0
    for (; !stopped && !signal.aborted; round++) {
      const deleting = deletions < DELETE_AT.length && progress() >= DELETE_AT[deletions]! ? toDelete[deletions++] : undefined
      const work = deleting ? remove(deleting) : round % HAND_BACK_EVERY === 0 ? handBack() : reassign()
      await work.catch(() => {}) // a pick that failed (the database restarting): the next round tries again
      await sleep(ROUND_MS)
    }
  })()

  return {
    async stop() {
      stopped = true
      await loop
      await pool.end()
      return stats
    },
  }
}

/** The people's figures, and the check that they were told only 2xx, 409 or 422. */
export function peopleRows(stats: PeopleStats): Row[] {
  const { reassigned: r, handBacks: h, deleted: d } = stats
  return [
    {
      phase: 'figure',
      check: 'reassigns (admin, integration) and hand-backs (manager, admin)',
      detail:
        `reassigned: offer ${r.offer}, transfer ${r.transfer}, routing ${r.routing}; hand-backs ${h.calls} moved ` +
        `${h.pending} offers, ${h.leads} leads; ${d.reps} reps deleted ?handBack=open moving ${d.pending} offers, ` +
        `${d.leads} leads; ${stats.refused} refused (409/422: the lead moved on first)`,
    },
    {
      phase: 'invariant',
      check: 'reassign, hand-back and delete get only 2xx, 409 or 422',
      ok: stats.unexpected.length === 0,
      detail: stats.unexpected.length ? stats.unexpected.slice(0, 3).join(' | ') : 'none else',
    },
  ]
}
