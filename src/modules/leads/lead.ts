import type { LeadRow } from '../../db/schema/index.ts'
import type { Handoff } from '../handoffs/handoffs.schemas.ts'
import type { LeadOffer, LeadView } from './leads.repo.ts'
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

/** The lead as the API answers it, with the offer it waits on (a LeadView read them together). */
export function toLead(row: LeadRow, offer: LeadOffer | null): Lead {
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
    offer: offer && { handoffId: offer.handoffId, repId: offer.repId, deadlineAt: offer.deadlineAt.toISOString() },
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

export const viewToLead = (view: LeadView): Lead => toLead(view.row, view.offer)

/** The offer a handoff routing or a reassign just made, while it waits; null for none, or one already accepted. */
export const offerIn = (handoff: Handoff | null | undefined): LeadOffer | null =>
  handoff?.status === 'pending' ? { handoffId: handoff.id, repId: handoff.repId, deadlineAt: new Date(handoff.deadlineAt) } : null
