import type { TeamStrategy } from '../teams.ts'
import type { LeafTrace } from './condition.ts'
import type { Assign } from './ruleset.ts'

// Why a lead went where it went, as handoffs store it (GET /v1/handoffs/:id shows it).

/** One candidate's estimate, as the trace shows it. */
export interface FitEstimate {
  repId: string
  wins: number
  losses: number
  /** The posterior mean: the expected win rate with the prior. */
  mean: number
  /** The draw this decision ranked by. */
  sample: number
}

/** One rep's eligibility as the trace shows it. */
export interface CandidateTrace {
  repId: string
  name: string
  eligible: boolean
  reason?: string
  opensAt?: string | null
  load: { pending: number; unworked: number; maxPending: number | null; today: number; maxPerDay: number | null }
}

/** One rule (or the fallback, index −1) as it was tried. */
export interface TraceStep {
  index: number
  rule: string
  matched: boolean
  result: 'not_matched' | 'assigned' | 'nobody_eligible' | 'no_account' | 'owner_unavailable' | 'unknown_target'
  detail: string
  conditions?: LeafTrace[]
  assign?: Assign
  team?: { id: string; name: string; strategy: TeamStrategy }
  candidates?: CandidateTrace[]
  turn?: { number: number | null; order: string[] }
  /** account_owner: the account found, and how (the lead's domain, a parent of it, or the company name). */
  account?: { id: string; name: string; matchedBy: 'domain' | 'parent_domain' | 'company_name'; matched: string }
  /** account_owner with ifUnavailable: until when the lead waits for the owner, and whether that has passed. */
  ownerWait?: { until: string; over: boolean }
  /** best_fit: each eligible rep's record in the lead's segment and the draw that ranked them. */
  fit?: { segment: string; estimates: FitEstimate[] }
}

/** The decision's explanation: every rule tried in order, and every rep considered. */
export interface Trace {
  version: number | null
  at: string
  steps: TraceStep[]
  /** Rules left out of `steps` because their conditions did not match (compact traces only). */
  skipped: number
  /** Set on a handoff to a manager after every rep tried let the lead go. */
  escalation?: { attempts: number; managerId: string; detail: string }
}
