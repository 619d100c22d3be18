// The drill's stream of leads, from a seed: under the default scoring model some qualify
// (a demo request, or a big company that keeps reading the pricing page), some are
// nurtured (small, no signals), some are disqualified (free mail), and about one in ten
// repeats an earlier lead's email, so deduplication runs under the same load.

/** One submission: its body and the Idempotency-Key every retry of it carries. */
export interface PlannedLead {
  index: number
  key: string
  email: string
  kind: 'demo' | 'qualified' | 'nurture' | 'free-mail'
  /** The index of the earlier lead whose email this repeats. */
  repeats?: number
  body: Record<string, unknown>
}

const DUPLICATE_SHARE = 0.1
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'ES']

export function planLeads(count: number, random: () => number, runId: string): PlannedLead[] {
  const planned: PlannedLead[] = []
  for (let index = 0; index < count; index++) {
    const earlier = index > 10 && random() < DUPLICATE_SHARE ? planned[Math.floor(random() * index)] : undefined
    const roll = random()
    const kind: PlannedLead['kind'] =
      earlier?.kind === 'free-mail' ? 'free-mail' : roll < 0.15 ? 'free-mail' : roll < 0.4 ? 'nurture' : roll < 0.75 ? 'demo' : 'qualified'
    const email =
      earlier?.email ??
      (kind === 'free-mail' ? `drill.${runId}.${index}@gmail.com` : `lead-${index}@co${index % 200}.${runId}.drill.example`)
    const body: Record<string, unknown> = {
      email,
      firstName: `Lead${index}`,
      company: `Drill Co ${index % 200}`,
      country: COUNTRIES[index % COUNTRIES.length],
      source: 'drill',
    }
    if (kind === 'demo') Object.assign(body, { employees: random() < 0.3 ? 800 : 120, signals: { demoRequested: true } })
    else if (kind === 'qualified') Object.assign(body, { employees: 300, signals: { pricingPageViews: 4 } })
    else Object.assign(body, { employees: 8 })
    planned.push({ index, key: `drill-${runId}-${index}`, email, kind, body, ...(earlier ? { repeats: earlier.index } : {}) })
  }
  return planned
}
