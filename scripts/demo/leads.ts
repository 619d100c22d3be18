// The stream of leads: what a mix of web forms, events and partners sends in a busy
// minute. Most are companies from a pool in many countries; some belong to named accounts;
// some are free-mail, competitors or job seekers (disqualified); some come back again
// (duplicates, merged into the first lead and re-scored).
import { ACCOUNTS, COMPETITORS, FREE_MAIL } from './world.ts'

/** A deterministic pseudo-random source, so one seed gives one stream. */
export type Random = () => number

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
export const between = (random: Random, low: number, high: number) => low + random() * (high - low)

interface Company {
  name: string
  domain: string
  country: string
  industry: string
  employees: number
}

const COMPANIES: Company[] = [
  { name: 'Northwind Traders', domain: 'northwind.io', country: 'US', industry: 'software', employees: 120 },
  { name: 'Contoso Health', domain: 'contosohealth.com', country: 'US', industry: 'healthcare', employees: 2400 },
  { name: 'Acme Logistics', domain: 'acmelogistics.com', country: 'US', industry: 'logistics', employees: 650 },
  { name: 'Tidewater Analytics', domain: 'tidewater.ai', country: 'US', industry: 'software', employees: 18 },
  { name: 'Blue Heron Labs', domain: 'blueheronlabs.com', country: 'CA', industry: 'biotech', employees: 45 },
  { name: 'Maple Ledger', domain: 'mapleledger.ca', country: 'CA', industry: 'fintech', employees: 210 },
  { name: 'Pampa Agro', domain: 'pampa-agro.com.br', country: 'BR', industry: 'agriculture', employees: 900 },
  { name: 'Cobalt Retail', domain: 'cobaltretail.mx', country: 'MX', industry: 'retail', employees: 3100 },
  { name: 'Fjordline Energy', domain: 'fjordline.se', country: 'SE', industry: 'energy', employees: 1300 },
  { name: 'Brandt Maschinenbau', domain: 'brandt-maschinen.de', country: 'DE', industry: 'manufacturing', employees: 4200 },
  { name: 'Lumière Studio', domain: 'lumiere-studio.fr', country: 'FR', industry: 'media', employees: 12 },
  { name: 'Kestrel Payments', domain: 'kestrelpay.co.uk', country: 'GB', industry: 'fintech', employees: 340 },
  { name: 'Grachten Data', domain: 'grachtendata.nl', country: 'NL', industry: 'software', employees: 85 },
  { name: 'Sol y Mar Hoteles', domain: 'solymar-hoteles.es', country: 'ES', industry: 'hospitality', employees: 1600 },
  { name: 'Alpenblick Versicherung', domain: 'alpenblick.ch', country: 'CH', industry: 'insurance', employees: 780 },
  { name: 'Vistula Cloud', domain: 'vistula.cloud', country: 'PL', industry: 'software', employees: 150 },
  { name: 'Ponte Foods', domain: 'pontefoods.it', country: 'IT', industry: 'food', employees: 230 },
  { name: 'Merlion Capital', domain: 'merlioncap.sg', country: 'SG', industry: 'fintech', employees: 260 },
  { name: 'Koala Robotics', domain: 'koalarobotics.com.au', country: 'AU', industry: 'robotics', employees: 95 },
  { name: 'Sakura Mobility', domain: 'sakura-mobility.jp', country: 'JP', industry: 'automotive', employees: 5200 },
  { name: 'Indus Health', domain: 'indushealth.in', country: 'IN', industry: 'healthcare', employees: 1100 },
  { name: 'Hanbit Games', domain: 'hanbitgames.kr', country: 'KR', industry: 'gaming', employees: 60 },
  { name: 'Kiwi Ledger', domain: 'kiwiledger.nz', country: 'NZ', industry: 'fintech', employees: 30 },
  { name: 'Atlas Mining', domain: 'atlasmining.co.za', country: 'ZA', industry: 'mining', employees: 3000 },
  { name: 'Nile Commerce', domain: 'nilecommerce.eg', country: 'EG', industry: 'ecommerce', employees: 140 },
  { name: 'Gulf Aviation', domain: 'gulfaviation.ae', country: 'AE', industry: 'aviation', employees: 800 },
]

const FIRST = [
  'Ava',
  'Liam',
  'Noah',
  'Emma',
  'Mateo',
  'Sofia',
  'Lukas',
  'Mia',
  'Hiro',
  'Priya',
  'Chen',
  'Olivia',
  'Jonas',
  'Aisha',
  'Diego',
  'Freya',
  'Ravi',
  'Yuki',
  'Elena',
  'Omar',
  'Nora',
  'Felix',
  'Zara',
  'Ivan',
]
const LAST = [
  'Smith',
  'Garcia',
  'Müller',
  'Martin',
  'Rossi',
  'Kowalski',
  'Jansen',
  'Nakamura',
  'Kim',
  'Sharma',
  'Silva',
  'Dubois',
  'Andersson',
  'Nguyen',
  'Okafor',
  'Schmidt',
  'Tanaka',
  'Lopez',
  'Weber',
  'Haddad',
]
const PRODUCTS = ['Routing', 'Scoring', 'Webhooks', 'Analytics']
const SOURCES: Array<[string, number]> = [
  ['website', 40],
  ['webinar', 14],
  ['paid-search', 14],
  ['event', 12],
  ['referral', 11],
  ['partner', 9],
]
const CAMPAIGNS = ['launch', 'brand', 'retargeting', 'webinar-series']

/** What the demo sends to POST /v1/leads, and what kind of lead it meant to send. */
export interface PlannedLead {
  body: Record<string, unknown>
  kind: 'company' | 'account' | 'free-mail' | 'competitor' | 'job seeker' | 'duplicate'
}

/** The whole stream, decided up front (so the progress bar knows its length). */
export function planLeads(count: number, random: Random): PlannedLead[] {
  const planned: PlannedLead[] = []
  const used = new Set<string>()
  const person = (domain: string) => {
    const first = pick(random, FIRST)
    const last = pick(random, LAST)
    let email = `${first}.${last}@${domain}`.toLowerCase().replace('ü', 'ue')
    for (let n = 2; used.has(email); n++) email = email.replace(/(\d*)@/, `${n}@`)
    used.add(email)
    return { firstName: first, lastName: last, email }
  }
  for (let i = 0; i < count; i++) {
    const roll = random()
    const earlier = planned.filter((p) => p.kind === 'company' || p.kind === 'account')
    if (roll < 0.08 && earlier.length > 5) {
      // Someone fills in a second form: now they want a demo, or looked at pricing again.
      const first = pick(random, earlier).body
      const signals = random() < 0.5 ? { demoRequested: true } : { pricingPageViews: 3 + Math.floor(random() * 5) }
      planned.push({ kind: 'duplicate', body: { email: first.email, source: 'website', signals } })
    } else if (roll < 0.14) {
      planned.push({
        kind: 'free-mail',
        body: {
          ...person(pick(random, FREE_MAIL)),
          country: pick(random, ['US', 'DE', 'IN', 'BR', 'GB']),
          source: 'website',
          signals: { demoRequested: random() < 0.3 },
        },
      })
    } else if (roll < 0.17) {
      planned.push({
        kind: 'competitor',
        body: { ...person(pick(random, COMPETITORS)), company: 'A competitor', source: 'webinar', signals: { pricingPageViews: 6 } },
      })
    } else if (roll < 0.2) {
      const company = pick(random, COMPANIES)
      planned.push({
        kind: 'job seeker',
        body: { ...person(pick(random, FREE_MAIL)), company: company.name, custom: { inquiry: 'job application' } },
      })
    } else if (roll < 0.31) {
      const account = pick(random, ACCOUNTS)
      planned.push({ kind: 'account', body: companyLead(random, person(account.domain), account) })
    } else {
      const company = pick(random, COMPANIES)
      planned.push({ kind: 'company', body: companyLead(random, person(company.domain), company) })
    }
  }
  return planned
}

function companyLead(
  random: Random,
  who: { firstName: string; lastName: string; email: string },
  company: Company,
): Record<string, unknown> {
  const source = weighted(random, SOURCES)
  const products = PRODUCTS.filter(() => random() < 0.3)
  const signals: Record<string, number | boolean> = { pricingPageViews: Math.floor(random() ** 2 * 8) }
  if (random() < 0.22) signals.demoRequested = true
  return {
    ...who,
    company: company.name,
    website: `https://www.${company.domain}`,
    country: company.country,
    industry: company.industry,
    employees: company.employees,
    annualRevenue: company.employees * 140_000,
    source,
    ...(source === 'website' || source === 'paid-search'
      ? { utm: { source: source === 'website' ? 'newsletter' : 'google', campaign: pick(random, CAMPAIGNS) } }
      : {}),
    ...(products.length ? { productInterest: products } : {}),
    ...(random() < 0.45 ? { phone: `+1 555 01${String(Math.floor(random() * 100)).padStart(2, '0')}` } : {}),
    signals,
  }
}

function weighted(random: Random, options: Array<[string, number]>): string {
  const total = options.reduce((sum, [, w]) => sum + w, 0)
  let roll = random() * total
  for (const [value, w] of options) if ((roll -= w) < 0) return value
  return options[0]![0]
}
