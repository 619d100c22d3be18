import { normalizeDomain } from '../../lib/domains.ts'
import { escapePointer } from '../../lib/json-pointer.ts'
import type { LeadInput } from './leads.schemas.ts'

/** The lead as stored and as conditions see it: trimmed, lower-cased where it matters, blanks dropped. */
export interface LeadFields {
  email: string
  domain: string | null
  firstName: string | null
  lastName: string | null
  phone: string | null
  company: string | null
  website: string | null
  country: string | null
  region: string | null
  city: string | null
  industry: string | null
  employees: number | null
  annualRevenue: number | null
  productInterest: string[]
  source: string | null
  utm: Record<string, string>
  signals: Record<string, string | number | boolean>
  custom: Record<string, unknown>
}

const MAX_CUSTOM_BYTES = 8 * 1024
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })

const clean = (value: string | undefined): string | null => {
  const trimmed = value?.trim()
  return trimmed ? trimmed : null
}

/** Normalises an accepted body into stored fields, or says which fields are unusable. */
export function normalizeLead(
  input: LeadInput,
): { ok: true; fields: LeadFields } | { ok: false; errors: Array<{ pointer: string; detail: string }> } {
  const errors: Array<{ pointer: string; detail: string }> = []
  const email = input.email.trim().toLowerCase()
  const at = email.lastIndexOf('@')
  const emailDomain = at > 0 && !/[\s<>()[\],;:"]/.test(email) ? normalizeDomain(email.slice(at + 1)) : undefined
  if (!emailDomain) errors.push({ pointer: '/email', detail: 'is not an email address with a real domain (name@company.com)' })

  const website = clean(input.website)
  const websiteDomain = website ? hostOf(website) : undefined
  if (website && !websiteDomain) errors.push({ pointer: '/website', detail: 'is not a web address (e.g. https://acme.com)' })

  const country = input.country?.trim().toUpperCase() ?? null
  if (country && !(/^[A-Z]{2}$/.test(country) && regionNames.of(country))) {
    errors.push({ pointer: '/country', detail: `"${input.country}" is not an ISO 3166-1 alpha-2 country code` })
  }
  if (input.custom && Buffer.byteLength(JSON.stringify(input.custom)) > MAX_CUSTOM_BYTES) {
    errors.push({ pointer: '/custom', detail: `is larger than ${MAX_CUSTOM_BYTES / 1024} KB as JSON` })
  }
  const signals = Object.fromEntries(Object.entries(input.signals ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]))
  for (const [key, value] of Object.entries(signals)) {
    if (typeof value === 'number' && !Number.isFinite(value))
      errors.push({ pointer: `/signals/${escapePointer(key)}`, detail: 'must be a finite number' })
  }
  if (errors.length > 0) return { ok: false, errors }

  return {
    ok: true,
    fields: {
      email,
      // The company's own site names its domain better than a mailbox does (j.doe@gmail.com, website acme.com).
      domain: websiteDomain ?? emailDomain ?? null,
      firstName: clean(input.firstName),
      lastName: clean(input.lastName),
      phone: clean(input.phone),
      company: clean(input.company),
      website,
      country,
      region: clean(input.region),
      city: clean(input.city),
      industry: clean(input.industry),
      employees: input.employees ?? null,
      annualRevenue: input.annualRevenue ?? null,
      productInterest: [...new Set((input.productInterest ?? []).map((p) => p.trim()).filter(Boolean))],
      source: clean(input.source)?.toLowerCase() ?? null,
      utm: Object.fromEntries(Object.entries(input.utm ?? {}).flatMap(([k, v]) => (clean(v) ? [[k, clean(v)!]] : []))),
      signals,
      custom: input.custom ?? {},
    },
  }
}

function hostOf(website: string): string | undefined {
  try {
    return normalizeDomain(new URL(website.includes('://') ? website : `https://${website}`).hostname)
  } catch {
    return undefined
  }
}
