import t from 'tap'
import { compileCondition, LIMITS, type CompiledCondition } from '../../src/modules/conditions/condition.ts'

const lead = {
  email: 'jane@mail.acme.com',
  domain: 'acme.com',
  website: 'https://www.acme.com/pricing',
  country: 'DE',
  industry: 'Fintech',
  employees: 250,
  annualRevenue: 12_000_000,
  productInterest: ['crm', 'Analytics'],
  company: 'Acme GmbH',
  utm: { source: 'google', campaign: 'q4-launch' },
  signals: { demoRequested: true, pricingPageViews: 4, lastSeen: null },
  custom: { plan: 'enterprise', nested: { tier: 'gold' } },
}

function compiled(condition: unknown): CompiledCondition {
  const result = compileCondition(condition)
  if (!result.ok) throw new Error(`expected a valid condition: ${JSON.stringify(result.errors)}`)
  return result.condition
}

t.test('leaf operators against a lead', async (t) => {
  const cases: Array<[string, unknown, boolean]> = [
    ['eq is case-insensitive on text', { field: 'industry', op: 'eq', value: 'fintech' }, true],
    ['eq on a number', { field: 'employees', op: 'eq', value: 250 }, true],
    ['eq on a missing field is false', { field: 'city', op: 'eq', value: 'Berlin' }, false],
    ['neq on a missing field is true', { field: 'city', op: 'neq', value: 'Berlin' }, true],
    ['neq', { field: 'country', op: 'neq', value: 'de' }, false],
    ['in', { field: 'country', op: 'in', value: ['AT', 'DE', 'CH'] }, true],
    ['in on a list field means any item is in', { field: 'productInterest', op: 'in', value: ['analytics', 'erp'] }, true],
    ['nin on a list field means no item is in', { field: 'productInterest', op: 'nin', value: ['erp'] }, true],
    ['nin on a missing field is true', { field: 'region', op: 'nin', value: ['EMEA'] }, true],
    ['gt', { field: 'employees', op: 'gt', value: 249 }, true],
    ['gte at the boundary', { field: 'employees', op: 'gte', value: 250 }, true],
    ['lt', { field: 'employees', op: 'lt', value: 250 }, false],
    ['lte at the boundary', { field: 'annualRevenue', op: 'lte', value: 12_000_000 }, true],
    ['gt on a missing number is false', { field: 'signals.visits', op: 'gt', value: 0 }, false],
    ['between is inclusive', { field: 'employees', op: 'between', value: [250, 1000] }, true],
    ['between outside', { field: 'employees', op: 'between', value: [1, 249] }, false],
    ['contains on text', { field: 'company', op: 'contains', value: 'GMBH' }, true],
    ['contains on a list is membership', { field: 'productInterest', op: 'contains', value: 'analytics' }, true],
    ['contains on a list is not substring', { field: 'productInterest', op: 'contains', value: 'anal' }, false],
    ['startsWith', { field: 'utm.campaign', op: 'startsWith', value: 'Q4' }, true],
    ['endsWith', { field: 'email', op: 'endsWith', value: '@mail.acme.com' }, true],
    ['exists', { field: 'signals.demoRequested', op: 'exists', value: true }, true],
    ['exists without a value means true', { field: 'custom.plan', op: 'exists' }, true],
    ['exists false on a missing field', { field: 'phone', op: 'exists', value: false }, true],
    ['a null signal does not exist', { field: 'signals.lastSeen', op: 'exists' }, false],
    ['signals reach any key', { field: 'signals.pricingPageViews', op: 'gte', value: 3 }, true],
    ['boolean signal eq', { field: 'signals.demoRequested', op: 'eq', value: true }, true],
    ['custom data nests', { field: 'custom.nested.tier', op: 'eq', value: 'gold' }, true],
    ['domainIn matches an email subdomain', { field: 'email', op: 'domainIn', value: ['acme.com'] }, true],
    ['domainIn matches a website host', { field: 'website', op: 'domainIn', value: ['ACME.com'] }, true],
    ['domainIn matches the domain itself', { field: 'domain', op: 'domainIn', value: ['other.io', 'acme.com'] }, true],
    ['domainIn does not match a lookalike', { field: 'domain', op: 'domainIn', value: ['cme.com'] }, false],
  ]
  for (const [name, condition, expected] of cases) {
    t.equal(compiled(condition).test(lead), expected, name)
  }
})

t.test('all, any and not combine', async (t) => {
  const demoInDach = {
    all: [
      { field: 'signals.demoRequested', op: 'eq', value: true },
      { field: 'country', op: 'in', value: ['DE', 'AT', 'CH'] },
    ],
  }
  t.equal(compiled(demoInDach).test(lead), true)
  t.equal(compiled({ not: demoInDach }).test(lead), false)
  t.equal(
    compiled({
      any: [
        { field: 'country', op: 'eq', value: 'US' },
        { field: 'employees', op: 'gt', value: 100 },
      ],
    }).test(lead),
    true,
  )
  t.equal(
    compiled({ any: [{ field: 'country', op: 'eq', value: 'US' }, { not: { field: 'employees', op: 'gt', value: 100 } }] }).test(lead),
    false,
  )
  t.equal(compiled({ all: [{ any: [{ field: 'country', op: 'eq', value: 'US' }] }] }).test({ country: 'US' }), true)
})

t.test('explain reports every leaf with the value it saw', async (t) => {
  const condition = compiled({
    all: [
      { field: 'country', op: 'eq', value: 'US' },
      { field: 'employees', op: 'gte', value: 100 },
    ],
  })
  const { matched, leaves } = condition.explain(lead)
  t.equal(matched, false)
  t.same(
    leaves,
    [
      { pointer: '/all/0', field: 'country', op: 'eq', value: 'US', actual: 'DE', matched: false },
      { pointer: '/all/1', field: 'employees', op: 'gte', value: 100, actual: 250, matched: true },
    ],
    'no short-circuit: the second leaf is reported too',
  )
})

t.test('paths never reach the prototype', async (t) => {
  for (const field of ['custom.__proto__', 'signals.constructor', 'custom.a.prototype.b']) {
    const result = compileCondition({ field, op: 'exists' })
    t.equal(result.ok, false, field)
  }
  const sneaky = JSON.parse('{"custom": {"__proto__": {"admin": true}}}')
  t.equal(compiled({ field: 'custom.admin', op: 'exists' }).test(sneaky), false, 'an inherited property is not data')
})

t.test('invalid conditions name the JSON pointer of each bad node', async (t) => {
  const cases: Array<[string, unknown, Array<[string, RegExp]>]> = [
    ['not an object', 'country = DE', [['', /must be a condition/]]],
    ['an array', [], [['', /must be a condition/]]],
    ['unknown shape', { when: 'always' }, [['', /must be a condition/]]],
    ['unknown field', { field: 'countryCode', op: 'eq', value: 'DE' }, [['/field', /not a known field/]]],
    ['unknown operator', { field: 'country', op: 'matches', value: 'D.*' }, [['/op', /must be one of/]]],
    [
      'operator that does not fit the field',
      { field: 'country', op: 'gt', value: 3 },
      [['/op', /does not apply to country, a string field/]],
    ],
    ['eq on a list field', { field: 'productInterest', op: 'eq', value: 'crm' }, [['/op', /does not apply/]]],
    ['value of the wrong type', { field: 'employees', op: 'eq', value: '250' }, [['/value', /must be a number/]]],
    ['missing value', { field: 'country', op: 'eq' }, [['/value', /is required/]]],
    ['between needs min ≤ max', { field: 'employees', op: 'between', value: [10, 1] }, [['/value', /min ≤ max/]]],
    ['in needs a non-empty list', { field: 'country', op: 'in', value: [] }, [['/value', /list of 1 to/]]],
    ['in items must fit the field', { field: 'employees', op: 'in', value: [1, 'two'] }, [['/value', /item 1 must be a number/]]],
    [
      'domainIn needs domains',
      { field: 'email', op: 'domainIn', value: ['acme.com', 'not a domain'] },
      [['/value', /item 1 is not a domain/]],
    ],
    ['exists takes a boolean', { field: 'phone', op: 'exists', value: 'yes' }, [['/value', /true or false/]]],
    ['extra keys in a leaf', { field: 'country', op: 'eq', value: 'DE', weight: 2 }, [['/weight', /not part of a condition/]]],
    ['empty all', { all: [] }, [['/all', /list of 1 to/]]],
    ['all mixed with any', { all: [{ field: 'country', op: 'exists' }], any: [] }, [['/any', /not part of a condition/]]],
    [
      'every bad node, deep inside',
      {
        all: [
          { field: 'country', op: 'eq', value: 'DE' },
          { any: [{ not: { field: 'nope', op: 'eq', value: 1 } }, { field: 'employees', op: 'lt', value: 'x' }] },
        ],
      },
      [
        ['/all/1/any/0/not/field', /not a known field/],
        ['/all/1/any/1/value', /must be a number/],
      ],
    ],
  ]
  for (const [name, condition, expected] of cases) {
    const result = compileCondition(condition)
    if (result.ok) {
      t.fail(`${name}: accepted`)
      continue
    }
    t.same(
      result.errors.map((e) => e.pointer),
      expected.map(([pointer]) => pointer),
      `${name}: pointers`,
    )
    expected.forEach(([, detail], i) => t.match(result.errors[i]?.detail, detail, `${name}: detail ${i}`))
  }
})

t.test('size limits keep conditions cheap', async (t) => {
  let deep: unknown = { field: 'country', op: 'exists' }
  for (let i = 0; i <= LIMITS.depth; i++) deep = { not: deep }
  const tooDeep = compileCondition(deep)
  t.equal(tooDeep.ok, false, 'too deep')

  const wide = { any: Array.from({ length: LIMITS.children + 1 }, () => ({ field: 'country', op: 'exists' })) }
  t.equal(compileCondition(wide).ok, false, 'too many children')

  const many = { any: Array.from({ length: 6 }, () => ({ any: Array.from({ length: 100 }, () => ({ field: 'country', op: 'exists' })) })) }
  const tooMany = compileCondition(many)
  t.equal(tooMany.ok, false, 'too many nodes')
  if (!tooMany.ok) t.equal(tooMany.errors.length, 1, 'the node limit is reported once')

  const longList = { field: 'country', op: 'in', value: Array.from({ length: 1001 }, (_, i) => `c${i}`) }
  t.equal(compileCondition(longList).ok, false, 'lists are bounded')
  t.equal(compileCondition({ field: 'company', op: 'contains', value: 'x'.repeat(1001) }).ok, false, 'text is bounded')
})
