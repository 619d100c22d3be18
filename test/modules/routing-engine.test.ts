// The pure routing engine, by tables: rules, fall-through and fallback, account owners,
// team picks, traces, purity and compiling a ruleset. No database, no clock.
import t from 'tap'
import type { TeamStrategy } from '../../src/db/schema/teams.ts'
import { compileCondition } from '../../src/modules/conditions/condition.ts'
import type { RepState } from '../../src/modules/routing/eligibility.ts'
import { route, type Candidates, type RouteResult, type TeamState } from '../../src/modules/routing/engine.ts'
import { compileRuleset, type CompiledRuleset } from '../../src/modules/routing/compile-ruleset.ts'
import { capitalised, members, rep, weekdays } from '../helpers/routing-engine.ts'
import { type Assign, type Ruleset } from '../../src/db/schema/json/ruleset.ts'
import type { Condition } from '../../src/db/schema/json/condition.ts'

/** Monday 2026-01-05, 11:00 in Berlin (CET). */
const MONDAY = new Date('2026-01-05T10:00:00Z')

function team(id: string, strategy: TeamStrategy, members: Array<string | [string, number]>, turn: number | null = 1): TeamState {
  const list = members.map((m) => (typeof m === 'string' ? { repId: m, weight: 1 } : { repId: m[0], weight: m[1] }))
  return { id, name: capitalised(id), strategy, members: list, turn }
}

function candidates(reps: RepState[], teams: TeamState[] = [], extra: Partial<Pick<Candidates, 'account' | 'excluded'>> = {}): Candidates {
  return { reps: new Map(reps.map((r) => [r.id, r])), teams: new Map(teams.map((tm) => [tm.id, tm])), account: null, ...extra }
}

function compiled(body: Ruleset): CompiledRuleset {
  const result = compileRuleset(body, 7)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.ruleset
}

const toRep = (repId: string): Assign => ({ type: 'rep', repId })
const toTeam = (teamId: string): Assign => ({ type: 'team', teamId })
const toOwner: Assign = { type: 'account_owner' }
const country = (value: string): Condition => ({ field: 'country', op: 'eq', value })

/** What a user notices of a decision: who, why, when to retry, and which rules were tried. */
function summary(result: RouteResult) {
  const assigned = result.outcome === 'assigned'
  return {
    outcome: result.outcome,
    rule: assigned ? result.rule.name : null,
    order: assigned ? result.order : [],
    reason: result.reason,
    retryAt: assigned ? null : (result.retryAt?.toISOString() ?? null),
    steps: result.trace.steps.map((s) => `${s.rule}: ${s.result}`),
    skipped: result.trace.skipped,
  }
}

t.test('route: rules, fall-through and fallback', async (t) => {
  const [ann, bob, cat] = [rep('ann'), rep('bob'), rep('cat')]
  const dan = rep('dan', { status: 'away' })
  const eve = rep('eve', { workingHours: weekdays('13:00', '17:00') }) // opens 12:00Z
  const fay = rep('fay', { holidays: ['2026-01-05'] }) // opens 23:00Z
  const gus = rep('gus', { maxPending: 2, pending: 2 })
  const hal = rep('hal', { workingHours: weekdays('12:00', '17:00') }) // opens 11:00Z
  const ivy = rep('ivy', { deleted: true })
  const olga = rep('olga')
  const acme = { id: 'acme', name: 'Acme', ownerId: 'olga', domain: 'acme.com', matchedBy: 'domain' as const }
  const everyone = { name: 'everyone', assign: toRep('bob') }
  const germany = { name: 'germany', when: country('DE'), assign: toRep('ann') }
  const byCountry: Ruleset = { rules: [germany, everyone], fallback: null }
  const owner: Ruleset = { rules: [{ name: 'owner', assign: toOwner }, everyone], fallback: toRep('cat') }
  const scored: Ruleset = {
    rules: [
      { name: 'hot', when: { field: 'score', op: 'gte', value: 80 }, assign: toRep('ann') },
      { name: 'demo', when: { field: 'tier', op: 'eq', value: 'demo' }, assign: toRep('bob') },
    ],
    fallback: null,
  }
  const assigned = (rule: string, order: string[], reason: string, steps: string[], skipped = 0) => ({
    outcome: 'assigned' as const,
    rule,
    order,
    reason,
    retryAt: null,
    steps,
    skipped,
  })
  const unroutable = (reason: string, retryAt: string | null, steps: string[], skipped = 0) => ({
    outcome: 'unroutable' as const,
    rule: null,
    order: [],
    reason,
    retryAt,
    steps,
    skipped,
  })

  const cases: Array<[string, Ruleset, object, Candidates, ReturnType<typeof summary>]> = [
    [
      'the first matching rule wins',
      byCountry,
      { country: 'DE' },
      candidates([ann, bob]),
      assigned('germany', ['ann'], 'rule "germany": assigned to Ann', ['germany: assigned']),
    ],
    [
      'a rule that does not match is skipped',
      byCountry,
      { country: 'FR' },
      candidates([ann, bob]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['everyone: assigned'], 1),
    ],
    [
      'a team with nobody eligible falls through to the next rule',
      { rules: [{ name: 'sales', assign: toTeam('sales') }, everyone], fallback: null },
      {},
      candidates([bob, dan, gus], [team('sales', 'round_robin', ['dan', 'gus'])]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['sales: nobody_eligible', 'everyone: assigned']),
    ],
    [
      'then to the fallback',
      { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: toRep('bob') },
      {},
      candidates([bob, dan], [team('sales', 'round_robin', ['dan'])]),
      assigned('fallback', ['bob'], 'fallback: assigned to Bob', ['sales: nobody_eligible', 'fallback: assigned']),
    ],
    [
      'a fallback team alone',
      { rules: [], fallback: toTeam('sales') },
      {},
      candidates([ann, bob], [team('sales', 'round_robin', ['ann', 'bob'])]),
      assigned('fallback', ['ann', 'bob'], 'fallback: team "Sales" (round robin): 2 of 2 eligible', ['fallback: assigned']),
    ],
    [
      'no rule matched and no fallback',
      { rules: [germany], fallback: null },
      { country: 'FR' },
      candidates([ann]),
      unroutable('no rule matched and the ruleset has no fallback', null, [], 1),
    ],
    [
      'no rules and no fallback',
      { rules: [], fallback: null },
      {},
      candidates([ann]),
      unroutable('no rule matched and the ruleset has no fallback', null, []),
    ],
    [
      'nobody eligible anywhere: retry at the earliest opening',
      { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: toRep('hal') },
      {},
      candidates([eve, fay, dan, hal], [team('sales', 'round_robin', ['eve', 'fay', 'dan'])]),
      unroutable(
        'nobody eligible (rule "sales": nobody in team "Sales" is eligible (1 outside working hours, 1 on holiday, 1 away); fallback: Hal (outside working hours 12:00–17:00 Europe/Berlin))',
        '2026-01-05T11:00:00.000Z',
        ['sales: nobody_eligible', 'fallback: nobody_eligible'],
      ),
    ],
    [
      'only away and full reps: no calendar retry',
      { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null },
      {},
      candidates([dan, gus], [team('sales', 'round_robin', ['dan', 'gus'])]),
      unroutable('nobody eligible (rule "sales": nobody in team "Sales" is eligible (1 away, 1 at capacity))', null, [
        'sales: nobody_eligible',
      ]),
    ],
    [
      'a rep who no longer exists falls through',
      { rules: [{ name: 'vip', assign: toRep('zed') }, everyone], fallback: null },
      {},
      candidates([bob]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: unknown_target', 'everyone: assigned']),
    ],
    [
      'a deleted rep falls through',
      { rules: [{ name: 'vip', assign: toRep('ivy') }, everyone], fallback: null },
      {},
      candidates([bob, ivy]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: nobody_eligible', 'everyone: assigned']),
    ],
    [
      'a team that no longer exists falls through',
      { rules: [{ name: 'sales', assign: toTeam('gone') }], fallback: toRep('bob') },
      {},
      candidates([bob]),
      assigned('fallback', ['bob'], 'fallback: assigned to Bob', ['sales: unknown_target', 'fallback: assigned']),
    ],
    [
      'a team without members',
      { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null },
      {},
      candidates([], [team('sales', 'round_robin', [])]),
      unroutable('nobody eligible (rule "sales": team "Sales" has no members)', null, ['sales: nobody_eligible']),
    ],
    [
      'account_owner, no account: falls through',
      owner,
      {},
      candidates([bob, olga]),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: no_account', 'everyone: assigned']),
    ],
    [
      'account_owner, an account without owner: falls through',
      owner,
      {},
      candidates([bob, olga], [], { account: { ...acme, ownerId: null } }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: no_account', 'everyone: assigned']),
    ],
    [
      'account_owner, the owner is eligible',
      owner,
      {},
      candidates([bob, olga], [], { account: acme }),
      assigned('owner', ['olga'], 'rule "owner": account "Acme" is owned by Olga', ['owner: assigned']),
    ],
    [
      'account_owner, an owner off hours stops the search',
      owner,
      {},
      candidates([bob, cat, { ...eve, id: 'olga', name: 'Olga' }], [], { account: acme }),
      unroutable(
        'rule "owner": account "Acme" is owned by Olga (outside working hours 13:00–17:00 Europe/Berlin)',
        '2026-01-05T12:00:00.000Z',
        ['owner: owner_unavailable'],
      ),
    ],
    [
      'account_owner, an away owner stops with no retry time',
      owner,
      {},
      candidates([bob, cat, { ...dan, id: 'olga', name: 'Olga' }], [], { account: acme }),
      unroutable('rule "owner": account "Acme" is owned by Olga (away)', null, ['owner: owner_unavailable']),
    ],
    [
      'account_owner, an owner who no longer exists stops',
      owner,
      {},
      candidates([bob, cat], [], { account: acme }),
      unroutable('rule "owner": account "Acme" is owned by a rep who no longer exists', null, ['owner: owner_unavailable']),
    ],
    [
      'account_owner, an owner who already had the lead: the rules go on',
      owner,
      {},
      candidates([bob, olga], [], { account: acme, excluded: new Set(['olga']) }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['owner: nobody_eligible', 'everyone: assigned']),
    ],
    [
      'a rep target who already had the lead falls through',
      { rules: [{ name: 'vip', assign: toRep('ann') }, everyone], fallback: null },
      {},
      candidates([ann, bob], [], { excluded: new Set(['ann']) }),
      assigned('everyone', ['bob'], 'rule "everyone": assigned to Bob', ['vip: nobody_eligible', 'everyone: assigned']),
    ],
    [
      'team members who already had the lead are passed over',
      { rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null },
      {},
      candidates([ann, bob, cat], [team('sales', 'round_robin', ['ann', 'bob', 'cat'])], { excluded: new Set(['ann']) }),
      assigned('sales', ['bob', 'cat'], 'rule "sales": team "Sales" (round robin): 2 of 3 eligible', ['sales: assigned']),
    ],
    [
      'score routes a hot lead',
      scored,
      { score: 85, tier: 'high' },
      candidates([ann, bob]),
      assigned('hot', ['ann'], 'rule "hot": assigned to Ann', ['hot: assigned']),
    ],
    [
      'tier routes a demo request',
      scored,
      { score: 40, tier: 'demo' },
      candidates([ann, bob]),
      assigned('demo', ['bob'], 'rule "demo": assigned to Bob', ['demo: assigned'], 1),
    ],
    [
      'neither score nor tier matches',
      scored,
      { score: 40, tier: 'standard' },
      candidates([ann, bob]),
      unroutable('no rule matched and the ruleset has no fallback', null, [], 2),
    ],
  ]
  for (const [name, body, lead, cands, want] of cases) t.same(summary(route(compiled(body), lead, cands, MONDAY)), want, name)

  const excludedTrace = route(
    compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }),
    {},
    candidates([ann, bob], [team('sales', 'round_robin', ['ann', 'bob'])], { excluded: new Set(['ann']) }),
    MONDAY,
  )
  t.match(
    excludedTrace.trace.steps[0]?.candidates,
    [
      { repId: 'ann', eligible: false, reason: 'already had this lead' },
      { repId: 'bob', eligible: true },
    ],
    'the trace says who already had the lead',
  )

  // An earlier rule keeps priority over the owner: when its team opens first, the lead should be tried again then.
  const waitingOwner = route(
    compiled({
      rules: [
        { name: 'sales', assign: toTeam('sales') },
        { name: 'owner', assign: toOwner },
      ],
      fallback: null,
    }),
    {},
    candidates([eve, { ...dan, id: 'olga', name: 'Olga' }], [team('sales', 'round_robin', ['eve'])], { account: acme }),
    MONDAY,
  )
  t.equal(waitingOwner.outcome, 'unroutable', 'an away owner stops the search')
  t.equal(
    waitingOwner.outcome === 'unroutable' ? waitingOwner.retryAt?.toISOString() : undefined,
    '2026-01-05T12:00:00.000Z',
    "retry when the earlier rule's team opens",
  )
})

t.test('route: team picks follow the strategy and the turn', async (t) => {
  const reps = [rep('ann', { pending: 2 }), rep('bob', { unworked: 1 }), rep('cat'), rep('dan', { status: 'away' })]
  const cases: Array<[string, TeamState, string[], { number: number | null; order: string[] }, string]> = [
    [
      'round robin, turn 2',
      team('sales', 'round_robin', ['ann', 'bob', 'cat'], 2),
      ['bob', 'cat', 'ann'],
      { number: 2, order: ['bob', 'cat', 'ann'] },
      'round robin',
    ],
    [
      'round robin, turn 2 of the eligible ones',
      team('sales', 'round_robin', ['ann', 'dan', 'cat'], 2),
      ['cat', 'ann'],
      { number: 2, order: ['cat', 'ann'] },
      'round robin',
    ],
    [
      'an unknown turn is taken as 1',
      team('sales', 'round_robin', ['ann', 'bob', 'cat'], null),
      ['ann', 'bob', 'cat'],
      { number: null, order: ['ann', 'bob', 'cat'] },
      'round robin',
    ],
    [
      'weighted 2:1, turn 2',
      team(
        'sales',
        'weighted',
        [
          ['ann', 2],
          ['bob', 1],
        ],
        2,
      ),
      ['bob', 'ann'],
      { number: 2, order: ['bob', 'ann'] },
      'weighted',
    ],
    [
      'least loaded counts pending and unworked',
      team('sales', 'least_loaded', ['ann', 'bob', 'cat']),
      ['cat', 'bob', 'ann'],
      { number: 1, order: ['cat', 'bob', 'ann'] },
      'least loaded',
    ],
  ]
  for (const [name, tm, order, turn, label] of cases) {
    const result = route(
      compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }),
      {},
      candidates(reps, [tm]),
      MONDAY,
    )
    if (result.outcome !== 'assigned') {
      t.fail(`${name}: ${result.reason}`)
      continue
    }
    t.same(result.order, order, `${name}: order`)
    t.same(result.trace.steps[0]?.turn, turn, `${name}: the turn on the assigned step`)
    t.match(
      result,
      { teamId: 'sales', rotation: { teamId: 'sales', strategy: tm.strategy }, reason: new RegExp(`\\(${label}\\)`) },
      `${name}: rotation`,
    )
  }
  const loaded = route(
    compiled({ rules: [{ name: 'sales', assign: toTeam('sales') }], fallback: null }),
    {},
    candidates(reps, [team('sales', 'least_loaded', ['ann', 'bob', 'cat'])]),
    MONDAY,
  )
  t.same(
    loaded.outcome === 'assigned' ? loaded.rotation?.eligible : null,
    members(['ann', 1, 2], ['bob', 1, 1], ['cat', 1, 0]),
    "the rotation carries each eligible member's load",
  )
})

t.test('route: compact and explained traces', async (t) => {
  const body: Ruleset = {
    rules: [
      { name: 'big germans', when: { all: [country('DE'), { field: 'employees', op: 'gte', value: 100 }] }, assign: toRep('ann') },
      { name: 'sales', assign: toTeam('sales') },
      { name: 'everyone', assign: toRep('bob') },
    ],
    fallback: null,
  }
  const cands = candidates([rep('bob'), rep('eve', { workingHours: weekdays('13:00', '17:00') })], [team('sales', 'round_robin', ['eve'])])
  const lead = { country: 'DE', employees: 10 }

  const compact = route(compiled(body), lead, cands, MONDAY)
  t.equal(compact.trace.skipped, 1, 'compact: a rule that did not match is counted')
  t.same(
    compact.trace.steps.map((s) => s.rule),
    ['sales', 'everyone'],
    'compact: and left out of the steps',
  )
  t.notOk(
    compact.trace.steps.some((s) => 'conditions' in s),
    'compact: no condition leaves',
  )
  t.notOk('opensAt' in compact.trace.steps[0]!.candidates![0]!, 'compact: no opening worked out for the trace')
  t.match(compact.trace, { version: 7, at: '2026-01-05T10:00:00.000Z' })

  const explained = route(compiled(body), lead, cands, MONDAY, { explain: true })
  t.equal(explained.trace.skipped, 0, 'explain: nothing skipped')
  t.same(
    explained.trace.steps[0],
    {
      index: 0,
      rule: 'big germans',
      matched: false,
      result: 'not_matched',
      detail: 'conditions did not match',
      conditions: [
        { pointer: '/all/0', field: 'country', op: 'eq', value: 'DE', actual: 'DE', matched: true },
        { pointer: '/all/1', field: 'employees', op: 'gte', value: 100, actual: 10, matched: false },
      ],
    },
    'explain: the rule that did not match, with every leaf',
  )
  t.match(
    explained.trace.steps[1],
    { rule: 'sales', result: 'nobody_eligible', candidates: [{ repId: 'eve', eligible: false, opensAt: '2026-01-05T12:00:00.000Z' }] },
    'explain: when each ineligible rep opens',
  )
  t.match(explained.trace.steps[2], {
    index: 2,
    rule: 'everyone',
    matched: true,
    result: 'assigned',
    detail: 'assigned to Bob',
    assign: toRep('bob'),
  })
})

t.test('route: explaining does not change the decision', async (t) => {
  const body: Ruleset = {
    rules: [
      { name: 'germany', when: country('DE'), assign: toRep('ann') },
      { name: 'france', when: country('FR'), assign: toRep('dan') },
    ],
    fallback: null,
  }
  const cands = candidates([rep('ann'), rep('dan', { status: 'away' })])
  const cases: Array<[string, object]> = [
    ['assigned by the first rule', { country: 'DE' }],
    ['no rule matched', { country: 'US' }],
    ['a matching rule with nobody eligible', { country: 'FR' }],
  ]
  const decision = (r: RouteResult) => ({ ...summary(r), steps: undefined, skipped: undefined })
  for (const [name, lead] of cases) {
    const ruleset = compiled(body)
    t.same(decision(route(ruleset, lead, cands, MONDAY, { explain: true })), decision(route(ruleset, lead, cands, MONDAY)), name)
  }
})

t.test('route is pure: same inputs, same answer, nothing mutated', async (t) => {
  const reps = [
    rep('ann', { pending: 1 }),
    rep('bob'),
    rep('eve', { workingHours: weekdays('13:00', '17:00') }),
    rep('olga', { status: 'away' }),
  ]
  const teams = [
    team('sales', 'least_loaded', ['ann', 'bob', 'eve'], 4),
    team(
      'night',
      'weighted',
      [
        ['eve', 2],
        ['olga', 1],
      ],
      9,
    ),
  ]
  const body: Ruleset = {
    rules: [
      { name: 'night', assign: toTeam('night') },
      { name: 'owner', when: { field: 'tier', op: 'eq', value: 'high' }, assign: toOwner },
      { name: 'sales', assign: toTeam('sales') },
    ],
    fallback: toRep('bob'),
  }
  const ruleset = compiled(body)
  for (const explain of [false, true]) {
    const cands = candidates(reps, teams, {
      account: { id: 'acme', name: 'Acme', ownerId: 'olga', domain: 'acme.com', matchedBy: 'domain' },
      excluded: new Set(['bob']),
    })
    const before = structuredClone(cands)
    const first = route(ruleset, { tier: 'standard' }, cands, MONDAY, { explain })
    const second = route(ruleset, { tier: 'standard' }, cands, MONDAY, { explain })
    t.same(second, first, `explain ${explain}: the same answer twice`)
    t.same(summary(first).order, ['ann'], `explain ${explain}: the answer itself`)
    t.same(cands, before, `explain ${explain}: candidates untouched`)
  }
})

t.test('compileRuleset', async (t) => {
  const result = compileRuleset(
    {
      rules: [
        { name: ' Germany ', when: country('DE'), assign: toTeam('dach'), acceptWithinSeconds: 600 },
        { name: 'vip', assign: toRep('ann') },
        { name: 'owner', assign: toOwner },
        { name: 'austria', when: country('AT'), assign: toTeam('dach') },
      ],
      fallback: toRep('bob'),
    },
    3,
  )
  t.ok(result.ok, 'a valid ruleset compiles')
  if (result.ok) {
    t.same(result.ruleset.teamIds, ['dach'], 'teams named, once each')
    t.same(result.ruleset.repIds, ['ann', 'bob'], "reps named, the fallback's too")
    t.same(
      result.ruleset.rules.map((r) => [r.index, r.name, r.acceptWithinSeconds, r.when !== undefined]),
      [
        [0, 'Germany', 600, true],
        [1, 'vip', null, false],
        [2, 'owner', null, false],
        [3, 'austria', null, true],
      ],
    )
    t.equal(result.ruleset.version, 3)
  }

  const rule = (name: string, when?: unknown) => ({ name, ...(when === undefined ? {} : { when }), assign: toRep('ann') })
  const cases: Array<[string, unknown[], Array<[string, RegExp | string]>]> = [
    [
      'duplicate names, any case',
      [rule('Enterprise'), rule('enterprise')],
      [['/rules/1/name', 'repeats the name of rule 0; rule names must be unique']],
    ],
    [
      'duplicate names, blanks trimmed',
      [rule('DE'), rule('x'), rule(' de ')],
      [['/rules/2/name', 'repeats the name of rule 0; rule names must be unique']],
    ],
    [
      'an unknown field',
      [rule('a', { field: 'bogus', op: 'eq', value: 1 })],
      [['/rules/0/when/field', /^"bogus" is not a known field \(known: .*score, tier/]],
    ],
    [
      'an unknown field, nested',
      [rule('a'), rule('b', { all: [country('DE'), { field: 'bogus', op: 'eq', value: 1 }] })],
      [['/rules/1/when/all/1/field', /"bogus" is not a known field/]],
    ],
    [
      'an operator that does not apply',
      [rule('a', { field: 'country', op: 'gt', value: 1 })],
      [['/rules/0/when/op', 'gt does not apply to country, a string field']],
    ],
    [
      'a score compared with text',
      [rule('a', { not: { field: 'score', op: 'gte', value: 'high' } })],
      [['/rules/0/when/not/value', 'must be a number']],
    ],
    ['a value missing', [rule('a', { field: 'tier', op: 'eq' })], [['/rules/0/when/value', 'is required']]],
    ['not a condition', [rule('a', [])], [['/rules/0/when', 'must be a condition: {all}, {any}, {not} or {field, op, value}']]],
    [
      'every problem at once',
      [rule('a', { any: [] }), rule('A', { field: 'nope', op: 'eq', value: 1 })],
      [
        ['/rules/0/when/any', 'must be a list of 1 to 100 conditions'],
        ['/rules/1/name', /repeats the name of rule 0/],
        ['/rules/1/when/field', /"nope" is not a known field/],
      ],
    ],
  ]
  for (const [name, rules, errors] of cases) {
    const compiledRules = compileRuleset({ rules, fallback: null } as unknown as Ruleset, 1)
    t.match(compiledRules, { ok: false, errors: errors.map(([pointer, detail]) => ({ pointer, detail })) }, name)
    if (!compiledRules.ok) t.equal(compiledRules.errors.length, errors.length, `${name}: no other errors`)
  }

  t.notOk(compileCondition({ field: 'score', op: 'gte', value: 50 }).ok, 'score is no lead field for scoring itself')
  t.ok(
    compileRuleset(
      {
        rules: [
          rule('a', {
            all: [
              { field: 'score', op: 'gte', value: 50 },
              { field: 'tier', op: 'in', value: ['high', 'demo'] },
            ],
          }),
        ],
        fallback: null,
      } as unknown as Ruleset,
      1,
    ).ok,
    'routing rules may use score and tier',
  )
})
