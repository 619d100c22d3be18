import type { ScoringModel } from './schema/json/scoring-model.ts'

// Consumer mailbox providers: a lead from one of these is rarely a company buying.
const FREE_MAIL = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.ru',
  'yandex.ru',
  'qq.com',
  '163.com',
  'zoho.com',
]

/**
 * The model a fresh database starts with (version 1): a demo request qualifies at once,
 * free-mail addresses are disqualified, size, revenue and buying signals add points.
 */
export const DEFAULT_SCORING_MODEL: ScoringModel = {
  rules: [
    { name: 'large company', when: { field: 'employees', op: 'gte', value: 200 }, points: 20 },
    { name: 'mid-size company', when: { field: 'employees', op: 'between', value: [50, 199] }, points: 10 },
    { name: 'revenue over 10M', when: { field: 'annualRevenue', op: 'gte', value: 10_000_000 }, points: 15 },
    { name: 'pricing page interest', when: { field: 'signals.pricingPageViews', op: 'gte', value: 3 }, points: 15 },
    { name: 'named a product', when: { field: 'productInterest', op: 'exists' }, points: 5 },
    { name: 'referral or partner', when: { field: 'source', op: 'in', value: ['referral', 'partner'] }, points: 10 },
    { name: 'left a phone number', when: { field: 'phone', op: 'exists' }, points: 5 },
  ],
  qualifyAt: 30,
  disqualify: [{ when: { field: 'email', op: 'domainIn', value: FREE_MAIL }, reason: 'free-mail address' }],
  fastLane: [{ name: 'demo requested', when: { field: 'signals.demoRequested', op: 'eq', value: true } }],
  tiers: [
    {
      when: {
        all: [
          { field: 'signals.demoRequested', op: 'eq', value: true },
          { field: 'employees', op: 'gte', value: 500 },
        ],
      },
      tier: 'high',
    },
    { when: { field: 'signals.demoRequested', op: 'eq', value: true }, tier: 'demo' },
  ],
  deadlines: { high: 300, demo: 1800, standard: 3600 },
}
