import type { LeadRow } from '../../db/schema/index.ts'
import type { Lead } from './leads.schemas.ts'
import type { LeadFields } from './normalize.ts'

// A lead's shapes: as events carry it, and as the API answers it.

/** The compact view of a lead that events carry (SPEC: data.lead). */
export function snapshot(row: LeadRow) {
  return {
    id: row.id,
    status: row.status as string,
    ownerId: row.ownerId,
    email: row.email,
    domain: row.domain,
    company: row.company,
    country: row.country,
    source: row.source,
    score: row.score,
    tier: row.tier,
  }
}

export function toLead(row: LeadRow): Lead {
  const fields: LeadFields = {
    email: row.email,
    domain: row.domain,
    firstName: row.firstName,
    lastName: row.lastName,
    phone: row.phone,
    company: row.company,
    website: row.website,
    country: row.country,
    region: row.region,
    city: row.city,
    industry: row.industry,
    employees: row.employees,
    annualRevenue: row.annualRevenue,
    productInterest: row.productInterest,
    source: row.source,
    utm: row.utm,
    signals: row.signals,
    custom: row.custom,
  }
  return {
    id: row.id,
    status: row.status,
    ownerId: row.ownerId,
    ...fields,
    score: row.score,
    qualified: row.qualified,
    tier: row.tier,
    submissions: row.submissions,
    decision: row.decision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastSubmittedAt: row.lastSubmittedAt.toISOString(),
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    contactedAt: row.contactedAt?.toISOString() ?? null,
    closedAt: row.closedAt?.toISOString() ?? null,
    opportunity: row.opportunity ?? null,
    closeReason: row.closeReason,
    outcome: row.outcome
      ? { result: row.outcome, amount: row.outcomeAmount, closedAt: (row.outcomeAt ?? row.updatedAt).toISOString() }
      : null,
  }
}
