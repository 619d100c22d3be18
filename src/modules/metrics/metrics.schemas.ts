import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from '../../lib/schemas.ts'
import { GROUP_BYS } from './metrics.repo.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const Rate = Nullable(
  Type.Number({ minimum: 0, maximum: 1, description: 'A share between 0 and 1; null when there is nothing to divide by' }),
)

const Range = {
  from: Type.Optional(
    Type.String({ format: 'date-time', description: 'Leads that arrived at or after this time (default: 30 days before `to`)' }),
  ),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'and before this one (default: now)' })),
}

export const HandoffMetricsQuery = Type.Object(
  { ...Range, groupBy: Type.Optional(Type.Union(GROUP_BYS.map((g) => Type.Literal(g)))) },
  { additionalProperties: false },
)
export type HandoffMetricsQuery = Static<typeof HandoffMetricsQuery>

export const RepStatsQuery = Type.Object(Range, { additionalProperties: false })
export type RepStatsQuery = Static<typeof RepStatsQuery>

const Seconds = Type.Object(
  { count: Type.Integer({ minimum: 0 }), p50: Nullable(Type.Number()), p90: Nullable(Type.Number()), p99: Nullable(Type.Number()) },
  { description: 'Seconds, percentiles by linear interpolation (null with no data)' },
)

export const Figures = Type.Object({
  funnel: Type.Object(
    {
      received: Type.Integer(),
      qualified: Type.Integer(),
      disqualified: Type.Integer(),
      assigned: Type.Integer(),
      accepted: Type.Integer(),
      contacted: Type.Integer(),
      converted: Type.Integer(),
    },
    { description: 'Leads of the range that reached each stage (ever)' },
  ),
  timeToAcceptSeconds: {
    ...Seconds,
    description: "From the lead's arrival to a rep's acceptance, declines and expiries on the way included",
  },
  timeToFirstContactSeconds: { ...Seconds, description: "From the lead's arrival to its first contact" },
  timeToAcceptWorkingSeconds: {
    ...Seconds,
    description:
      "The same wait counted in the accepting rep's working time (their zone, windows, holidays); nights and weekends do not count",
  },
  timeToFirstContactWorkingSeconds: { ...Seconds, description: "From arrival to first contact, in the owner's working time" },
  handoffs: Type.Object(
    {
      offered: Type.Integer(),
      accepted: Type.Integer(),
      declined: Type.Integer(),
      expired: Type.Integer(),
      slaBreachRate: { ...Rate, description: 'Expired ÷ answered-or-expired handoffs: how often the acceptance deadline was missed' },
      slaBreachRateByClock: Type.Object(
        { wall: Rate, working: Rate },
        {
          description: "The same, for the handoffs whose deadline counted wall seconds, and for those that counted the rep's working time",
        },
      ),
    },
    { description: "Every offer of these leads to a rep; grouped by the handoff's own rep, team and rule" },
  ),
  rates: Type.Object({
    firstContactOverdue: { ...Rate, description: 'First-contact tasks that fell due undone ÷ first-contact tasks' },
    reroute: { ...Rate, description: 'Assigned leads re-routed at least once (declined or expired) ÷ assigned leads' },
    escalation: { ...Rate, description: 'Assigned leads escalated ÷ assigned leads' },
  }),
  unroutedSeconds: { ...Seconds, description: 'Leads that waited with nobody eligible: from the first wait to the first handoff (or now)' },
})
export type Figures = Static<typeof Figures>

export const Group = Type.Composite([
  Type.Object({
    key: Nullable(Type.String({ description: 'The rep or team id, rule name, source or tier; null: none (e.g. leads nobody owns)' })),
    label: Nullable(Type.String({ description: "The rep's or team's name" })),
  }),
  Figures,
])

export const HandoffMetrics = Type.Object({
  from: Timestamp,
  to: Timestamp,
  groupBy: Nullable(Type.String()),
  total: Figures,
  groups: Type.Array(Group, {
    description:
      'With groupBy: one entry per group that has any lead or handoff (rep: lead figures by owner, handoff figures by the offered rep)',
  }),
})

export const RepStats = Type.Composite([Type.Object({ repId: Type.String(), from: Timestamp, to: Timestamp }), Figures])
