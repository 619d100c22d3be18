// The demo's sales team, set up through the admin API as a RevOps admin would:
// nine reps in three time zones, a team per region (one per strategy), named accounts,
// a scoring model and a routing ruleset with short deadlines so expiries happen live.
import type { Call } from './api.ts'
import { shiftAround, localDate, type Shift } from './shifts.ts'

/** How a simulated rep answers handoffs: shares of accept and decline (the rest expire), delay range in seconds. */
export interface Style {
  accept: number
  decline: number
  delay: [number, number]
}

const RELIABLE: Style = { accept: 0.86, decline: 0.08, delay: [0.5, 2.5] }
const STEADY: Style = { accept: 0.74, decline: 0.11, delay: [1, 4] }
const STRETCHED: Style = { accept: 0.55, decline: 0.15, delay: [2, 5] }

type Region = 'Americas' | 'EMEA' | 'APAC'

interface RepPlan {
  key: string
  name: string
  zone: string
  region: Region
  style: Style
  manager?: boolean
  /** Why this rep takes no leads today: a shift that starts later, or a holiday. */
  off?: 'later shift' | 'holiday'
  weight?: number
}

const PLAN: RepPlan[] = [
  { key: 'maya', name: 'Maya Chen', zone: 'America/New_York', region: 'Americas', style: RELIABLE, manager: true },
  { key: 'jordan', name: 'Jordan Reyes', zone: 'America/New_York', region: 'Americas', style: STEADY },
  { key: 'sam', name: 'Sam Whitaker', zone: 'America/New_York', region: 'Americas', style: STEADY, off: 'holiday' },
  { key: 'lena', name: 'Lena Vogel', zone: 'Europe/Berlin', region: 'EMEA', style: RELIABLE, manager: true, weight: 1 },
  { key: 'tomas', name: 'Tomás Silva', zone: 'Europe/Berlin', region: 'EMEA', style: STRETCHED, weight: 2 },
  { key: 'ingrid', name: 'Ingrid Holm', zone: 'Europe/Berlin', region: 'EMEA', style: STEADY, weight: 3 },
  { key: 'weiling', name: 'Wei Ling Tan', zone: 'Asia/Singapore', region: 'APAC', style: RELIABLE, manager: true },
  { key: 'arjun', name: 'Arjun Mehta', zone: 'Asia/Singapore', region: 'APAC', style: STRETCHED },
  { key: 'hana', name: 'Hana Sato', zone: 'Asia/Singapore', region: 'APAC', style: STEADY, off: 'later shift' },
]

const TEAMS: Array<{ region: Region; strategy: 'round_robin' | 'weighted' | 'least_loaded' }> = [
  { region: 'Americas', strategy: 'round_robin' },
  { region: 'EMEA', strategy: 'weighted' },
  { region: 'APAC', strategy: 'least_loaded' },
]

/** Named accounts: their leads go to the owner (and wait for an owner who is off). */
export const ACCOUNTS = [
  { name: 'Globex', domain: 'globex.com', owner: 'jordan', country: 'US', industry: 'manufacturing', employees: 8000 },
  { name: 'Initech', domain: 'initech.com', owner: 'maya', country: 'US', industry: 'software', employees: 450 },
  { name: 'Hooli Europe', domain: 'hooli.de', owner: 'lena', country: 'DE', industry: 'software', employees: 2600 },
  { name: 'Soylent', domain: 'soylent.fr', owner: 'tomas', country: 'FR', industry: 'food', employees: 700 },
  { name: 'Umbrella Asia', domain: 'umbrella.sg', owner: 'arjun', country: 'SG', industry: 'healthcare', employees: 1900 },
  { name: 'Tanaka Robotics', domain: 'tanaka-robotics.jp', owner: 'hana', country: 'JP', industry: 'robotics', employees: 1200 },
] as const

export const COUNTRIES: Record<Region, string[]> = {
  Americas: ['US', 'CA', 'MX', 'BR'],
  EMEA: ['DE', 'FR', 'GB', 'NL', 'ES', 'SE', 'IT', 'PL', 'CH', 'AT'],
  APAC: ['SG', 'AU', 'JP', 'IN', 'KR', 'NZ'],
}
export const FREE_MAIL = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'gmx.de', 'proton.me']
export const COMPETITORS = ['rivalroute.io', 'handoffhq.com']

/** A rep as the demo knows it: Baton's id, and the plan it was made from. */
export interface DemoRep extends RepPlan {
  id: string
  shift: Shift
  teamId: string
}

/** Everything the demo created, for the simulation and the display. */
export interface World {
  reps: DemoRep[]
  repById: Map<string, DemoRep>
  teams: Array<{ id: string; region: Region; strategy: string }>
  webhookSecret: string
  acceptWithinSeconds: number
  rules: string[]
}

/** Creates the team through the admin API; `receiverUrl` is the demo's webhook receiver. */
export async function seedWorld(
  call: Call,
  { receiverUrl, acceptWithinSeconds, now }: { receiverUrl: string; acceptWithinSeconds: number; now: Date },
): Promise<World> {
  const reps: DemoRep[] = []
  const managers = new Map<Region, string>()
  for (const plan of PLAN) {
    const shift = shiftAround(plan.zone, now, plan.off === 'later shift' ? 'later' : 'now')
    const rep = await call<{ id: string }>('POST', '/v1/reps', {
      name: plan.name,
      email: `${plan.key}@baton-demo.example`,
      timezone: plan.zone,
      workingHours: shift.workingHours,
      holidays: plan.off === 'holiday' ? [localDate(plan.zone, now)] : [],
      capacity: { maxPending: 3 },
      attributes: { territories: COUNTRIES[plan.region], languages: ['en'] },
      // Offers, reminders and "moved on" go to the demo's own SMTP server.
      notificationTargets: [{ kind: 'email', address: `${plan.key}@mail.baton-demo.example` }],
      ...(managers.has(plan.region) ? { managerId: managers.get(plan.region) } : {}),
    })
    if (plan.manager) managers.set(plan.region, rep.id)
    reps.push({ ...plan, id: rep.id, shift, teamId: '' })
  }
  const teams: World['teams'] = []
  for (const { region, strategy } of TEAMS) {
    const members = reps.filter((r) => r.region === region)
    const team = await call<{ id: string }>('POST', '/v1/teams', {
      name: `${region} sales`,
      strategy,
      managerId: managers.get(region),
      members: members.map((r) => ({ repId: r.id, weight: strategy === 'weighted' ? (r.weight ?? 1) : 1 })),
    })
    for (const member of members) member.teamId = team.id
    teams.push({ id: team.id, region, strategy })
  }
  const idOf = (key: string) => reps.find((r) => r.key === key)!.id
  for (const account of ACCOUNTS) {
    await call('POST', '/v1/accounts', { name: account.name, domains: [account.domain], ownerId: idOf(account.owner) })
  }
  await call('PUT', '/v1/scoring', SCORING_MODEL)
  const teamOf = (region: Region) => teams.find((t) => t.region === region)!.id
  const within = { acceptWithinSeconds }
  const ruleset = {
    rules: [
      { name: 'named accounts', assign: { type: 'account_owner' }, ...within },
      {
        name: 'strategic (2,000+ employees)',
        when: { field: 'employees', op: 'gte', value: 2000 },
        assign: { type: 'rep', repId: idOf('maya') },
        ...within,
      },
      ...TEAMS.map(({ region }) => ({
        name: region,
        when: { field: 'country', op: 'in', value: COUNTRIES[region] },
        assign: { type: 'team', teamId: teamOf(region) },
        ...within,
      })),
      { name: 'rest of world and overflow', assign: { type: 'team', teamId: teamOf('EMEA') }, ...within },
    ],
    fallback: { type: 'team', teamId: teamOf('Americas') },
  }
  await call('PUT', '/v1/routing', ruleset)
  const endpoint = await call<{ secret: string }>('POST', '/v1/webhook-endpoints', {
    url: receiverUrl,
    description: "The demo's stand-in for a CRM and a chat tool",
  })
  return {
    reps,
    repById: new Map(reps.map((r) => [r.id, r])),
    teams,
    webhookSecret: endpoint.secret,
    acceptWithinSeconds,
    rules: ruleset.rules.map((r) => r.name),
  }
}

const SCORING_MODEL = {
  rules: [
    { name: '1,000+ employees', when: { field: 'employees', op: 'gte', value: 1000 }, points: 25 },
    { name: '200–999 employees', when: { field: 'employees', op: 'between', value: [200, 999] }, points: 15 },
    { name: '50–199 employees', when: { field: 'employees', op: 'between', value: [50, 199] }, points: 8 },
    { name: 'revenue over 50M', when: { field: 'annualRevenue', op: 'gte', value: 50_000_000 }, points: 10 },
    { name: 'pricing page, 3+ views', when: { field: 'signals.pricingPageViews', op: 'gte', value: 3 }, points: 15 },
    { name: 'named a product', when: { field: 'productInterest', op: 'exists' }, points: 5 },
    { name: 'referral or partner', when: { field: 'source', op: 'in', value: ['referral', 'partner'] }, points: 15 },
    { name: 'met us at an event', when: { field: 'source', op: 'eq', value: 'event' }, points: 10 },
    { name: 'left a phone number', when: { field: 'phone', op: 'exists' }, points: 5 },
    { name: 'launch campaign', when: { field: 'utm.campaign', op: 'eq', value: 'launch' }, points: 5 },
  ],
  qualifyAt: 30,
  disqualify: [
    { when: { field: 'email', op: 'domainIn', value: FREE_MAIL }, reason: 'free-mail address' },
    { when: { field: 'email', op: 'domainIn', value: COMPETITORS }, reason: 'competitor' },
    { when: { field: 'custom.inquiry', op: 'eq', value: 'job application' }, reason: 'job seeker, not a buyer' },
  ],
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
  // Only the fallback uses these (every rule sets its own acceptWithinSeconds); 30 s is the least allowed.
  deadlines: { high: 30, demo: 30, standard: 60 },
  firstContact: { high: 30, demo: 45, standard: 60 },
}
