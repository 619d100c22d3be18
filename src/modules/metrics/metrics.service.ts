import type { ServiceDeps } from '../../lib/deps.ts'
import { Forbidden, NotFound, invalidFields } from '../../lib/errors.ts'
import type { Principal } from '../../plugins/auth.ts'
import { repExists } from '../reps/reps.repo.ts'
import * as repo from './metrics.repo.ts'
import type { Figures, HandoffMetricsQuery, RepStatsQuery } from './metrics.schemas.ts'

const DAY_MS = 24 * 3600 * 1000
const DEFAULT_RANGE_MS = 30 * DAY_MS
const MAX_RANGE_MS = 366 * DAY_MS

/**
 * Handoff analytics over the leads that arrived in a time range: the funnel, how fast
 * leads were accepted and contacted, how often deadlines were missed, leads re-routed,
 * escalated or left waiting. Every figure is computed in SQL from the recorded history.
 */
export function createMetricsService({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>) {
  function windowOf(query: RepStatsQuery): repo.Window {
    const now = clock.now()
    const to = query.to ? new Date(query.to) : now
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_MS)
    if (from >= to)
      throw invalidFields('The range is empty.', [{ in: 'query', pointer: '/from', detail: 'must be before to (default: now)' }])
    if (to.getTime() - from.getTime() > MAX_RANGE_MS)
      throw invalidFields('The range is too long.', [{ in: 'query', pointer: '/from', detail: 'the range may span at most 366 days' }])
    return { from, to, now }
  }

  return {
    async handoffs(query: HandoffMetricsQuery) {
      const window = windowOf(query)
      const leadRows = await repo.leadFigures(db, window, query.groupBy)
      const handoffRows = await repo.handoffFigures(db, window, query.groupBy)
      const answer = {
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        groupBy: query.groupBy ?? null,
        total: figures(leadRows.total, handoffRows.total),
      }
      if (!query.groupBy) return { ...answer, groups: [] }
      const byLead = new Map(leadRows.groups.map((r) => [r.key, r]))
      const byHandoff = new Map(handoffRows.groups.map((r) => [r.key, r]))
      const keys = [...new Set([...byLead.keys(), ...byHandoff.keys()])].sort(nullsLast)
      const names = await repo.labels(
        db,
        query.groupBy,
        keys.filter((k): k is string => k !== null),
      )
      const groups = keys.map((key) => ({
        key,
        label: key === null ? null : (names.get(key) ?? null),
        ...figures(byLead.get(key), byHandoff.get(key)),
      }))
      return { ...answer, groups }
    },

    /** One rep's figures: leads they own, handoffs offered to them. A rep token reads only its own. */
    async rep(id: string, query: RepStatsQuery, principal: Principal) {
      // Ids are compared as text in the figures' SQL: one spelling for them.
      const repId = id.toLowerCase()
      if (principal.role === 'rep' && principal.repId?.toLowerCase() !== repId) throw new Forbidden('A rep token reads only its own stats.')
      if (!(await repExists(db, repId))) throw new NotFound(`No rep with id ${repId}.`)
      const window = windowOf(query)
      const leadRows = await repo.leadFigures(db, window, 'rep', repId)
      const handoffRows = await repo.handoffFigures(db, window, 'rep', repId)
      return { repId, from: window.from.toISOString(), to: window.to.toISOString(), ...figures(leadRows.total, handoffRows.total) }
    },
  }
}

export type MetricsService = ReturnType<typeof createMetricsService>

const nullsLast = (a: string | null, b: string | null) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0)

const share = (part: number, whole: number) => (whole === 0 ? null : round(part / whole, 4))
const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits
const seconds = (count: number, p50: unknown, p90: unknown, p99: unknown) => {
  const read = (value: unknown) => (value === null || value === undefined ? null : round(Number(value)))
  return { count, p50: read(p50), p90: read(p90), p99: read(p99) }
}

/** One group's answer from its lead row and handoff row (either may be missing: zeros). */
function figures(l: repo.LeadFigures | undefined, h: repo.HandoffFigures | undefined): Figures {
  const n = (value: number | undefined) => value ?? 0
  const handoffs = { offered: n(h?.offered), accepted: n(h?.accepted), declined: n(h?.declined), expired: n(h?.expired) }
  return {
    funnel: {
      received: n(l?.received),
      qualified: n(l?.qualified),
      disqualified: n(l?.disqualified),
      assigned: n(l?.assigned),
      accepted: n(l?.accepted),
      contacted: n(l?.contacted),
      converted: n(l?.converted),
    },
    timeToAcceptSeconds: seconds(n(l?.accepted), l?.accept_p50, l?.accept_p90, l?.accept_p99),
    timeToFirstContactSeconds: seconds(n(l?.contacted), l?.contact_p50, l?.contact_p90, l?.contact_p99),
    timeToAcceptWorkingSeconds: seconds(n(l?.accepted_working), l?.accept_working_p50, l?.accept_working_p90, l?.accept_working_p99),
    timeToFirstContactWorkingSeconds: seconds(
      n(l?.contacted_working),
      l?.contact_working_p50,
      l?.contact_working_p90,
      l?.contact_working_p99,
    ),
    handoffs: {
      ...handoffs,
      slaBreachRate: share(handoffs.expired, handoffs.accepted + handoffs.declined + handoffs.expired),
      slaBreachRateByClock: {
        wall: share(n(h?.expired_wall), n(h?.settled_wall)),
        working: share(n(h?.expired_working), n(h?.settled_working)),
      },
    },
    rates: {
      firstContactOverdue: share(n(l?.first_contact_overdue), n(l?.first_contact_tasks)),
      reroute: share(n(l?.rerouted), n(l?.assigned)),
      escalation: share(n(l?.escalated), n(l?.assigned)),
    },
    unroutedSeconds: seconds(n(l?.unrouted), l?.unrouted_p50, l?.unrouted_p90, l?.unrouted_p99),
  }
}
