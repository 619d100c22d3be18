// account_owner targets: the lead goes to whoever owns the account it belongs to, found by
// its domain, a registered parent of that domain, or (when the rule allows) the company name.
import type { Assign } from '../../db/schema/json/ruleset.ts'
import type { TraceStep } from '../../db/schema/json/trace.ts'
import type { Candidates, Judge, Tried } from './engine.ts'

/** An account found by the lead's domain: that domain itself, or the longest registered parent of it. */
export interface MatchedAccount {
  id: string
  name: string
  ownerId: string | null
  /** The registered domain that matched. */
  domain: string
  matchedBy: 'domain' | 'parent_domain'
}

type OwnerTarget = Extract<Assign, { type: 'account_owner' }>
type Account = { id: string; name: string; ownerId: string | null }

/**
 * The owner gets the lead when eligible. An owner who cannot take it now holds it: for as
 * long as that lasts (no `ifUnavailable`), or until `waitSeconds` after the lead arrived,
 * after which the rules go on. An owner who already had the lead has had their turn.
 */
export function tryOwner(assign: OwnerTarget, candidates: Candidates, judged: Judge, step: TraceStep, now: Date): Tried {
  const found = accountFor(assign, candidates)
  if (!found.account?.ownerId) {
    step.result = 'no_account'
    step.detail = found.account ? `account "${found.account.name}" has no owner` : found.why
    return { kind: 'next', waits: [] }
  }
  const { account } = found
  step.account = { id: account.id, name: account.name, matchedBy: found.matchedBy, matched: found.matched }
  const named = `account "${account.name}"${found.how}`
  const owner = judged(account.ownerId!)
  step.candidates = owner ? [owner.trace] : []
  if (owner?.trace.eligible) {
    step.detail = `${named} is owned by ${owner.trace.name}`
    return { kind: 'assigned', teamId: null, rotation: null, order: [owner.trace.repId] }
  }
  const waits = owner ? [owner.opensAt] : []
  step.detail = `${named} is owned by ${owner ? `${owner.trace.name} (${owner.trace.reason})` : 'a rep who no longer exists'}`
  if (candidates.excluded?.has(account.ownerId!)) {
    step.result = 'nobody_eligible'
    return { kind: 'next', waits: [] }
  }
  step.result = 'owner_unavailable'
  if (!assign.ifUnavailable) return { kind: 'stop', waits }
  const until = new Date((candidates.waitingSince ?? now).getTime() + assign.ifUnavailable.waitSeconds * 1000)
  const over = now >= until
  step.ownerWait = { until: until.toISOString(), over }
  if (over) {
    // The owner opening up still places a lead nobody else took.
    step.detail += `; the wait for the owner ended at ${until.toISOString()}, so the rules go on`
    return { kind: 'next', waits }
  }
  step.detail += `; waiting for the owner until ${until.toISOString()}, then the rules go on`
  return { kind: 'stop', waits: [...waits, () => until] }
}

type Found =
  | { account: Account; matchedBy: NonNullable<TraceStep['account']>['matchedBy']; matched: string; how: string }
  | { account: null; why: string }

function accountFor(assign: OwnerTarget, candidates: Candidates): Found {
  const byDomain = candidates.account
  if (byDomain) {
    const how = byDomain.matchedBy === 'parent_domain' ? ` (by its parent domain ${byDomain.domain})` : ''
    return { account: byDomain, matchedBy: byDomain.matchedBy, matched: byDomain.domain, how }
  }
  if (!assign.matchCompanyName) return { account: null, why: "the lead's domain belongs to no account" }
  const named = candidates.accountsByName ?? []
  if (named.length === 1) return { account: named[0]!, matchedBy: 'company_name', matched: named[0]!.name, how: ' (by company name)' }
  return {
    account: null,
    why:
      named.length === 0
        ? "neither the lead's domain nor its company name belongs to an account"
        : "the lead's company name matches more than one account",
  }
}
