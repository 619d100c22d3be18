import type { LeadStatus, StoredDecision } from '../../db/schema/index.ts'
import { onCommit, type Tx } from '../../db/client.ts'
import { useGenericPlans } from '../../db/prepared.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound, invalidFields } from '../../lib/errors.ts'
import { normalizeDomain } from '../../lib/domains.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { appendEvents, leadEvents } from '../events/events.repo.ts'
import { wasOfferedTo } from '../handoffs/handoffs.repo.ts'
import type { Principal } from '../../plugins/auth.ts'
import { newEvent, toEvent, type EventReader } from '../events/events.service.ts'
import { runOncePerKey, type IdempotencyRequest, type StoredAnswer } from '../idempotency/idempotency.ts'
import type { Assigner, Plan } from '../routing/assign.ts'
import { statusAfter } from '../routing/assign.ts'
import type { ScoringService } from '../scoring/scoring.service.ts'
import { decideWith, type Predictor } from '../predictive/predictive.service.ts'
import type { Decision } from '../scoring/score.ts'
import * as repo from './leads.repo.ts'
import type { IngestResult, Lead, LeadInput, ListLeadsQuery } from './leads.schemas.ts'
import { offerIn, snapshot, toLead, viewToLead } from './lead.ts'
import { mergeSubmission } from './merge.ts'
import { createReassigner } from './reassign.ts'
import { normalizeLead, type LeadFields } from './normalize.ts'

const DAY_MS = 24 * 3600 * 1000
const STATUS_FOR: Record<Decision['outcome'], LeadStatus> = { qualified: 'qualified', disqualified: 'disqualified', nurture: 'nurture' }
const EVENT_FOR = { qualified: 'lead.qualified', disqualified: 'lead.disqualified', nurture: 'lead.nurtured' } as const

/** Leads in: normalise, deduplicate, score, route, record, all in one transaction. */
export function createLeadsService({
  db,
  clock,
  config,
  boss,
  metrics,
  logger,
  scoring,
  assigner,
  predictor,
}: Pick<ServiceDeps, 'db' | 'clock' | 'config' | 'boss' | 'metrics' | 'logger'> & {
  scoring: ScoringService
  assigner: Assigner
  predictor: Predictor
}) {
  return {
    /** POST /v1/leads/:id/reassign, and the hand-back of owned leads: see reassign.ts. */
    ...createReassigner({ db, clock, config, boss, logger, assigner }),

    /** Submits a lead: see ingestIn for what happens to it. */
    async ingest(input: LeadInput): Promise<{ created: boolean; result: IngestResult }> {
      const prepared = await prepare(input)
      return db.transaction((tx) => ingestIn(tx, prepared))
    },

    /**
     * ingest, once per Idempotency-Key: the answer is stored with the lead in one
     * transaction and replayed byte for byte to a retry with the same key and body.
     */
    async ingestOnce(input: LeadInput, request: IdempotencyRequest): Promise<StoredAnswer> {
      const prepared = await prepare(input)
      return db.transaction((tx) =>
        runOncePerKey(tx, request, prepared.now, async () => {
          const { created, result } = await ingestIn(tx, prepared)
          return { status: created ? 201 : 200, body: JSON.stringify(result) }
        }),
      )
    },

    /**
     * ingest, unless `guard.seen` finds that an earlier delivery of the same thing
     * already made a lead (then that lead, unchanged); `guard.record` notes this one
     * in the same transaction as the lead.
     */
    async ingestGuarded(input: LeadInput, guard: IngestGuard): Promise<{ created: boolean; replayed: boolean; lead: Lead }> {
      const prepared = await prepare(input)
      return db.transaction(async (tx) => {
        const earlier = await guard.seen(tx)
        if (earlier) return { created: false, replayed: true, lead: viewToLead((await repo.findLeadView(tx, earlier))!) }
        const { created, result } = await ingestIn(tx, prepared)
        await guard.record(tx, result.lead.id, prepared.now)
        return { created, replayed: false, lead: result.lead }
      })
    },

    /** A rep token reads only a lead it was ever offered; any other is 404, as if there were none. */
    async get(id: string, principal: Principal): Promise<Lead> {
      return viewToLead(await mustFind(id, principal))
    },

    /** GET /v1/leads: `email` and `domain` are compared as leads store them (normalize.ts). */
    async list(query: ListLeadsQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const domain = query.domain === undefined ? undefined : normalizeDomain(query.domain)
      if (query.domain !== undefined && !domain) {
        throw invalidFields('The domain is not one.', [{ in: 'query', pointer: '/domain', detail: 'is not a domain name (acme.com)' }])
      }
      const views = await repo.listLeads(db, {
        limit,
        ...(after ? { after } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.ownerId ? { ownerId: query.ownerId } : {}),
        ...(query.repId ? { repId: query.repId } : {}),
        ...(query.email ? { email: query.email.trim().toLowerCase() } : {}),
        ...(domain ? { domain } : {}),
        ...(query.source ? { source: query.source.toLowerCase() } : {}),
        ...(query.createdAfter ? { createdAfter: new Date(query.createdAfter) } : {}),
        ...(query.createdBefore ? { createdBefore: new Date(query.createdBefore) } : {}),
      })
      return toPage(views.map(viewToLead), limit)
    },

    /** Every event of the lead, oldest first: what happened to it and why. */
    async timeline(id: string, reader: EventReader, principal: Principal) {
      await mustFind(id, principal)
      return { data: (await leadEvents(db, id)).map((row) => toEvent(row, reader)) }
    },
  }

  /** Everything that needs no transaction: validation, normalisation, the time. */
  async function prepare(input: LeadInput) {
    const normalized = normalizeLead(input)
    if (!normalized.ok) throw invalidFields('The lead is invalid.', normalized.errors)
    return { fields: normalized.fields, now: clock.now() }
  }

  /** The live scoring and conversion models at the versions the submission read: compiled once per process. */
  async function modelsAt(tx: Tx, start: repo.SubmissionStart) {
    return { scoring: await scoring.compiledAt(tx, start.scoringVersion), predictive: await predictor.at(tx, start.predictiveVersion) }
  }

  /**
   * A new email makes a lead (created). The same email within the dedupe window is the
   * same lead: the submission is merged in and re-scored, a nurtured lead that now
   * qualifies is promoted, and any owner stays. A lead that qualifies (new or promoted)
   * is routed in the same transaction, so the answer names its rep.
   */
  async function ingestIn(tx: Tx, prepared: Awaited<ReturnType<typeof prepare>>): Promise<{ created: boolean; result: IngestResult }> {
    const { fields, now } = prepared
    await useGenericPlans(tx)
    const start = await repo.beginSubmission(tx, fields.email, new Date(now.getTime() - config.dedupeWindowDays * DAY_MS))
    const locked = start.leadId ? await repo.lockLeadView(tx, start.leadId) : undefined
    const existing = locked?.row
    const models = await modelsAt(tx, start)
    const decide = (lead: LeadFields): StoredDecision => decideWith(models.scoring, models.predictive, lead)
    const routing = { liveVersion: start.rulesetVersion }

    if (existing) {
      const merged = mergeSubmission(existing, fields)
      const decision = decide(merged)
      // Only a nurtured lead moves on by being submitted again; every other status is past scoring.
      const promoted = existing.status === 'nurture' && decision.outcome === 'qualified'
      const routed = promoted ? await assigner.plan(tx, { fields: merged, decision }, now, routing) : null
      const row = await repo.updateLead(tx, existing.id, {
        ...merged,
        ...scoreColumns(decision),
        status: routed ? statusAfter(routed) : existing.status,
        ...(routed ? { nextRouteAt: retryAt(routed) } : {}),
        submissions: existing.submissions + 1,
        lastSubmittedAt: now,
        updatedAt: now,
      })
      const lead = snapshot(row)
      // Built before routing's own events: event ids are time-ordered and the feed shows them in order.
      const events = [
        newEvent('lead.duplicate', { lead, submission: { submittedAt: now.toISOString(), submissions: row.submissions } }, now, row.id),
        newEvent('lead.scored', { lead, decision: summary(decision) }, now, row.id),
        ...(promoted ? [newEvent('lead.qualified', { lead: { ...lead, status: 'qualified' }, decision }, now, row.id)] : []),
      ]
      const outcome = routed ? await assigner.record(tx, row, routed, now, { snapshot: lead }) : undefined
      await appendEvents(tx, { boss, logger }, [...events, ...(outcome?.events ?? [])])
      // Only a promoted lead is routed here; any other keeps the offer it waited on.
      const offer = routed ? offerIn(outcome?.handoff) : locked.offer
      const result = {
        lead: toLead(row, offer),
        decision,
        handoff: outcome?.handoff ?? null,
        routing: outcome?.routing ?? null,
        duplicate: true,
      }
      onCommit(tx, () => metrics.leadsIngested.inc({ outcome: 'duplicate' }))
      return { created: false, result }
    }

    const decision = decide(fields)
    const routed = decision.outcome === 'qualified' ? await assigner.plan(tx, { fields, decision }, now, routing) : null
    const row = await repo.insertLead(tx, {
      id: newId(),
      ...fields,
      ...scoreColumns(decision),
      status: routed ? statusAfter(routed) : STATUS_FOR[decision.outcome],
      nextRouteAt: routed ? retryAt(routed) : null,
      createdAt: now,
      updatedAt: now,
      lastSubmittedAt: now,
    })
    const lead = snapshot(row)
    const events = [
      newEvent('lead.received', { lead: { ...lead, status: 'received' } }, now, row.id),
      newEvent('lead.scored', { lead: { ...lead, status: 'received' }, decision: summary(decision) }, now, row.id),
      newEvent(EVENT_FOR[decision.outcome], { lead: { ...lead, status: STATUS_FOR[decision.outcome] }, decision }, now, row.id),
    ]
    const outcome = routed ? await assigner.record(tx, row, routed, now, { snapshot: lead }) : undefined
    await appendEvents(tx, { boss, logger }, [...events, ...(outcome?.events ?? [])])
    const handoff = outcome?.handoff ?? null
    const result = { lead: toLead(row, offerIn(handoff)), decision, handoff, routing: outcome?.routing ?? null, duplicate: false }
    onCommit(tx, () => metrics.leadsIngested.inc({ outcome: decision.outcome }))
    return { created: true, result }
  }

  async function mustFind(id: string, principal: Principal): Promise<repo.LeadView> {
    const view = await repo.findLeadView(db, id)
    const hidden = view && principal.role === 'rep' && !(await wasOfferedTo(db, id, principal.repId!))
    if (!view || hidden) throw new NotFound(`No lead with id ${id}.`)
    return view
  }
}

export type LeadsService = ReturnType<typeof createLeadsService>

/** See ingestGuarded: deduplication of deliveries, decided inside the ingest transaction. */
export interface IngestGuard {
  /** The lead an earlier delivery made, if any (the guard takes its own locks). */
  seen(tx: Tx): Promise<string | undefined>
  record(tx: Tx, leadId: string, at: Date): Promise<void>
}

const retryAt = (routed: Plan) => (routed.kind === 'unroutable' ? routed.retryAt : null)

const scoreColumns = (decision: StoredDecision) => ({ score: decision.score, qualified: decision.qualified, tier: decision.tier, decision })

const summary = (d: StoredDecision) => ({ score: d.score, outcome: d.outcome, tier: d.tier, scoringVersion: d.scoringVersion })
