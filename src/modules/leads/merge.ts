import type { LeadRow } from '../../db/schema/index.ts'
import type { LeadFields } from './normalize.ts'

/**
 * A repeat submission folded into the lead it repeats. What the person tells us now
 * wins over what they told us before (a new phone number, a bigger company), but a
 * blank never erases a value; signals and custom data merge key by key; product
 * interest accumulates; source and UTM parameters keep the first touch.
 */
export function mergeSubmission(existing: LeadRow, incoming: LeadFields): LeadFields {
  const pick = <T>(next: T | null, previous: T | null): T | null => next ?? previous
  return {
    email: existing.email,
    domain: pick(incoming.domain, existing.domain),
    firstName: pick(incoming.firstName, existing.firstName),
    lastName: pick(incoming.lastName, existing.lastName),
    phone: pick(incoming.phone, existing.phone),
    company: pick(incoming.company, existing.company),
    website: pick(incoming.website, existing.website),
    country: pick(incoming.country, existing.country),
    region: pick(incoming.region, existing.region),
    city: pick(incoming.city, existing.city),
    industry: pick(incoming.industry, existing.industry),
    employees: pick(incoming.employees, existing.employees),
    annualRevenue: pick(incoming.annualRevenue, existing.annualRevenue),
    productInterest: [...new Set([...existing.productInterest, ...incoming.productInterest])],
    source: pick(existing.source, incoming.source),
    utm: Object.keys(existing.utm).length > 0 ? existing.utm : incoming.utm,
    signals: { ...existing.signals, ...incoming.signals },
    custom: { ...existing.custom, ...incoming.custom },
  }
}
