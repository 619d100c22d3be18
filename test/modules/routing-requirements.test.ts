// The pure engine on rep attributes (a team target's `require`) and on account owners who
// cannot take a lead (`ifUnavailable.waitSeconds`), found by domain, parent domain or
// company name. No database, no clock.
import t from 'tap'
import type { RepState } from '../../src/modules/routing/eligibility.ts'
import { route, type Candidates, type RouteResult, type TeamState } from '../../src/modules/routing/engine.ts'
import { compileRuleset, type CompiledRuleset } from '../../src/modules/routing/compile-ruleset.ts'
import type { Assign, Ruleset } from '../../src/db/schema/json/ruleset.ts'
import { rep } from '../helpers/routing-engine.ts'

const MONDAY = new Date('2026-01-05T10:00:00Z')
const team = (members: string[]): TeamState => ({
  id: 'desk',
  name: 'Desk',
  strategy: 'round_robin',
  members: members.map((repId) => ({ repId, weight: 1 })),
  turn: 1,
})
const candidates = (reps: RepState[], extra: Partial<Candidates> = {}): Candidates => ({
  reps: new Map(reps.map((r) => [r.id, r])),
  teams: new Map([['desk', team(reps.map((r) => r.id))]]),
  account: null,
  ...extra,
})
function compiled(body: Ruleset): CompiledRuleset {
  const result = compileRuleset(body, 3)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.ruleset
}
const order = (result: RouteResult) => (result.outcome === 'assigned' ? result.order : [])

t.test('require: reps must hold a matching attribute value, ignoring case', async (t) => {
  const ruleset = compiled({
    rules: [
      {
        name: 'dach',
        assign: {
          type: 'team',
          teamId: 'desk',
          require: [
            { attribute: 'languages', matches: 'custom.language' },
            { attribute: 'territories', matches: 'country' },
          ],
        },
      },
    ],
    fallback: null,
  })
  const ann = rep('ann', { attributes: { languages: ['DE', 'en'], territories: ['de', 'AT'] } })
  const bob = rep('bob', { attributes: { languages: ['en'], territories: ['DE'] } })
  const cat = rep('cat', { attributes: { languages: ['de'] } })
  const dan = rep('dan', { status: 'away', attributes: { languages: ['de'], territories: ['de'] } })
  const eve = rep('eve')
  const all = candidates([ann, bob, cat, dan, eve])

  const german = route(ruleset, { country: 'de', custom: { language: 'De' } }, all, MONDAY, { explain: true })
  t.same(order(german), ['ann'], 'only the rep who speaks German and covers Germany')
  const reasons = Object.fromEntries(german.trace.steps[0]!.candidates!.map((c) => [c.repId, c.reason ?? 'eligible']))
  t.same(reasons, {
    ann: 'eligible',
    bob: 'languages do not include "de"',
    cat: 'territories do not include "de"',
    dan: 'away',
    eve: 'languages do not include "de"',
  })
  t.equal(german.trace.steps[0]!.candidates!.find((c) => c.repId === 'bob')!.opensAt, null, 'no calendar ever opens a missing language')

  const noLanguage = route(ruleset, { country: 'DE' }, all, MONDAY)
  t.equal(noLanguage.outcome, 'unroutable', 'a lead without the field matches nobody')
  // What the rep lacks comes before their standing: Dan, away, would not do either.
  t.match(noLanguage.reason, /nobody in team "Desk" is eligible \(5 the lead has no custom.language to match languages\)/)
  t.equal(noLanguage.outcome === 'unroutable' && noLanguage.retryAt, null, 'and no retry time: waiting will not help')
})

t.test('require: a list field matches when any of its values does; non-text values count as missing', async (t) => {
  const ruleset = compiled({
    rules: [
      { name: 'products', assign: { type: 'team', teamId: 'desk', require: [{ attribute: 'products', matches: 'productInterest' }] } },
    ],
    fallback: null,
  })
  const ann = rep('ann', { attributes: { products: ['Billing'] } })
  const bob = rep('bob', { attributes: { products: ['crm', 'analytics'] } })
  const pool = candidates([ann, bob])
  t.same(order(route(ruleset, { productInterest: ['ANALYTICS', 'payroll'] }, pool, MONDAY)), ['bob'])
  t.same(order(route(ruleset, { productInterest: ['billing', 'crm'] }, pool, MONDAY)), ['ann', 'bob'])
  const none = route(ruleset, { productInterest: [3, ''] }, pool, MONDAY, { explain: true })
  t.equal(none.trace.steps[0]!.candidates![0]!.reason, 'the lead has no productInterest to match products')
  const payroll = route(ruleset, { productInterest: ['payroll', 'hr'] }, pool, MONDAY, { explain: true })
  t.equal(payroll.trace.steps[0]!.candidates![0]!.reason, 'products do not include "payroll" or "hr"')
})

t.test('require: a failed team falls through to the next rule, and the fallback may require too', async (t) => {
  const ruleset = compiled({
    rules: [
      { name: 'french', assign: { type: 'team', teamId: 'desk', require: [{ attribute: 'languages', matches: 'custom.language' }] } },
    ],
    fallback: { type: 'team', teamId: 'desk', require: [{ attribute: 'segments', matches: 'custom.segment' }] },
  })
  const ann = rep('ann', { attributes: { languages: ['fr'] } })
  const bob = rep('bob', { attributes: { segments: ['smb'] } })
  const result = route(ruleset, { custom: { language: 'de', segment: 'SMB' } }, candidates([ann, bob]), MONDAY)
  t.match(result, { outcome: 'assigned', rule: { name: 'fallback' }, order: ['bob'] })
  t.same(
    result.trace.steps.map((s) => `${s.rule}: ${s.result}`),
    ['french: nobody_eligible', 'fallback: assigned'],
  )
})

t.test('compileRuleset: a requirement names a lead field that holds text', async (t) => {
  const desk = (require: unknown) => ({ type: 'team', teamId: 'desk', require }) as Assign
  const result = compileRuleset(
    {
      rules: [
        { name: 'a', assign: desk([{ attribute: 'languages', matches: 'custom.language' }]) },
        { name: 'b', assign: desk([{ attribute: 'territories', matches: 'nationality' }]) },
        {
          name: 'c',
          assign: desk([
            { attribute: 'segments', matches: 'country' },
            { attribute: 'segments', matches: 'employees' },
          ]),
        },
      ],
      fallback: desk([{ attribute: 'languages', matches: 'signals.__proto__' }]),
    },
    null,
  )
  t.same(result.ok ? [] : result.errors, [
    { pointer: '/rules/1/assign/require/0/matches', detail: '"nationality" is not a lead field' },
    { pointer: '/rules/2/assign/require/1/matches', detail: '"employees" is a number; a requirement matches text' },
    { pointer: '/fallback/require/0/matches', detail: '"signals.__proto__" is not a lead field' },
  ])
})

t.test('account_owner ifUnavailable: waits for the owner at most waitSeconds after the lead arrived', async (t) => {
  const owner = (waitSeconds: number): Ruleset => ({
    rules: [
      { name: 'owner', assign: { type: 'account_owner', ifUnavailable: { waitSeconds } } },
      { name: 'desk', assign: { type: 'team', teamId: 'desk' } },
    ],
    fallback: null,
  })
  const olga = rep('olga', { status: 'away' })
  const ann = rep('ann')
  const account = { id: 'acme', name: 'Acme', ownerId: 'olga', domain: 'acme.com', matchedBy: 'domain' as const }
  const arrived = new Date(MONDAY.getTime() - 30 * 60_000)
  const pool = { reps: new Map([olga, ann].map((r) => [r.id, r])), teams: new Map([['desk', team(['ann'])]]), account }

  const waiting = route(compiled(owner(3600)), {}, { ...pool, waitingSince: arrived }, MONDAY)
  t.match(waiting, { outcome: 'unroutable', retryAt: new Date('2026-01-05T10:30:00Z') }, 'within the hour: waits, retried when it ends')
  t.match(waiting.trace.steps[0], {
    result: 'owner_unavailable',
    ownerWait: { until: '2026-01-05T10:30:00.000Z', over: false },
    detail: 'account "Acme" is owned by Olga (away); waiting for the owner until 2026-01-05T10:30:00.000Z, then the rules go on',
  })

  const over = route(compiled(owner(1800)), {}, { ...pool, waitingSince: arrived }, MONDAY)
  t.match(over, { outcome: 'assigned', rule: { name: 'desk' }, order: ['ann'] }, 'the wait is over: the next rule')
  t.match(over.trace.steps[0], { result: 'owner_unavailable', ownerWait: { over: true } })

  const now = route(compiled(owner(0)), {}, pool, MONDAY)
  t.match(now, { outcome: 'assigned', order: ['ann'] }, 'waitSeconds 0: straight on (a new lead waits from now)')

  const forever = compileRuleset({ ...owner(0), rules: [{ name: 'owner', assign: { type: 'account_owner' } }, owner(0).rules[1]!] }, 1)
  if (!forever.ok) throw new Error('does not compile')
  t.match(route(forever.ruleset, {}, { ...pool, waitingSince: arrived }, MONDAY), { outcome: 'unroutable' }, 'no ifUnavailable: waits')

  const nobodyElse = { ...pool, waitingSince: arrived, reps: new Map([olga, { ...ann, status: 'away' as const }].map((r) => [r.id, r])) }
  const stuck = route(compiled(owner(1800)), {}, nobodyElse, MONDAY)
  t.match(stuck, { outcome: 'unroutable', retryAt: null }, 'wait over and nobody else: unrouted until someone is back')

  const eligible = route(compiled(owner(0)), {}, { ...pool, reps: new Map([rep('olga'), ann].map((r) => [r.id, r])) }, MONDAY)
  t.match(eligible, { outcome: 'assigned', order: ['olga'] }, 'an owner who can take it gets it whatever the wait')
})

t.test('account_owner: parent domains and company names, as the trace records them', async (t) => {
  const ruleset = (matchCompanyName: boolean): CompiledRuleset =>
    compiled({ rules: [{ name: 'owner', assign: { type: 'account_owner', matchCompanyName } }], fallback: null })
  const reps = new Map([['olga', rep('olga')]])
  const base = { reps, teams: new Map<string, TeamState>() }
  const parent = route(
    ruleset(false),
    {},
    { ...base, account: { id: 'acme', name: 'Acme', ownerId: 'olga', domain: 'acme.com', matchedBy: 'parent_domain' } },
    MONDAY,
  )
  t.match(parent, { outcome: 'assigned', reason: 'rule "owner": account "Acme" (by its parent domain acme.com) is owned by Olga' })
  t.match(parent.trace.steps[0]!.account, { id: 'acme', matchedBy: 'parent_domain', matched: 'acme.com' })

  const acme = { id: 'acme', name: 'ACME, Inc.', ownerId: 'olga' }
  const byName = route(ruleset(true), {}, { ...base, account: null, accountsByName: [acme] }, MONDAY)
  t.match(byName, { outcome: 'assigned', reason: 'rule "owner": account "ACME, Inc." (by company name) is owned by Olga' })
  t.match(byName.trace.steps[0]!.account, { matchedBy: 'company_name', matched: 'ACME, Inc.' })

  const notAsked = route(ruleset(false), {}, { ...base, account: null, accountsByName: [acme] }, MONDAY)
  t.match(notAsked.trace.steps[0], { result: 'no_account', detail: "the lead's domain belongs to no account" })
  const twins = route(ruleset(true), {}, { ...base, account: null, accountsByName: [acme, { ...acme, id: 'acme-2' }] }, MONDAY)
  t.match(twins.trace.steps[0], { result: 'no_account', detail: "the lead's company name matches more than one account" })
  const nothing = route(ruleset(true), {}, { ...base, account: null, accountsByName: [] }, MONDAY)
  t.match(nothing.trace.steps[0], { detail: "neither the lead's domain nor its company name belongs to an account" })
})
