import { Value } from '@sinclair/typebox/value'
import type { SourceRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { BadRequest, Unauthorized, invalidFields, withProblemMembers } from '../../lib/errors.ts'
import { LeadInput } from '../leads/leads.schemas.ts'
import type { LeadsService } from '../leads/leads.service.ts'
import type { InboundRequest, SourceAdapter, SourceKind } from './adapters/adapter.ts'
import { genericAdapter } from './adapters/generic.ts'
import { applyFieldMap } from './field-map.ts'
import { unstorable } from '../../lib/storable.ts'
import { previousDelivery, recordDelivery } from './sources.repo.ts'
import type { SourcesService } from './sources.service.ts'

/** Provider adapters by kind (generic is built in): a kind missing here answers 400. */
export type AdapterRegistry = Partial<Record<Exclude<SourceKind, 'generic'>, SourceAdapter>>

/**
 * A form tool's POST: verified on the raw bytes with the provider's own scheme,
 * mapped to a lead, deduplicated by the provider's submission id, and ingested.
 */
export function createInboundService({
  clock,
  config,
  sources,
  leads,
  adapters,
}: Pick<ServiceDeps, 'clock' | 'config'> & { sources: SourcesService; leads: LeadsService; adapters: AdapterRegistry }) {
  const adapterFor = (source: SourceRow): SourceAdapter | undefined =>
    source.kind === 'generic' ? genericAdapter(source.auth) : adapters[source.kind]

  return {
    /**
     * `path` is the request's path and query; the URL a provider signed is the public
     * one it was given (PUBLIC_URL), not whatever host a proxy forwarded to us.
     */
    async receive(sourceId: string, { path, ...rest }: Omit<InboundRequest, 'url'> & { path: string }) {
      const request: InboundRequest = { ...rest, url: `${config.publicUrl}${path}` }
      const source = await sources.find(sourceId)
      const adapter = adapterFor(source)
      if (!adapter) throw new BadRequest(`Submissions from ${source.kind} are not accepted by this version of Baton yet.`)
      const verified = adapter.verify(request, source.secret, clock.now())
      if (!verified.ok)
        throw withProblemMembers(new Unauthorized(`The request is not from this source: ${verified.detail}.`), { reason: verified.reason })

      let payload: unknown
      try {
        payload = JSON.parse(request.rawBody.toString('utf8'))
      } catch {
        throw new BadRequest('The body is not valid JSON.')
      }
      const extracted = adapter.extract(payload, request)
      if (!extracted.ok)
        throw invalidFields(`The submission is not shaped as ${source.kind} sends it: ${extracted.detail}.`, [
          { pointer: '', detail: extracted.detail },
        ])

      const input = { source: source.leadSource, ...applyFieldMap(extracted.submission.fields, source.fieldMap) }
      const errors = [...Value.Errors(LeadInput, input)].map((e) => ({ pointer: e.path, detail: e.message }))
      if (errors.length > 0) throw invalidFields("The submission does not make a valid lead with this source's field map.", errors)
      const unfit = unstorable({ ...input, submissionId: extracted.submission.submissionId })
      if (unfit) throw invalidFields(`The submission cannot be stored: ${unfit.pointer} ${unfit.detail}.`, [unfit])

      const submissionId = extracted.submission.submissionId
      const outcome = await leads.ingestGuarded(input as LeadInput, {
        seen: async (tx) => (submissionId ? previousDelivery(tx, source.id, submissionId) : undefined),
        record: async (tx, leadId, at) => {
          if (submissionId) await recordDelivery(tx, { sourceId: source.id, submissionId, leadId, receivedAt: at })
        },
      })
      return { created: outcome.created, answer: { leadId: outcome.lead.id, status: outcome.lead.status, duplicate: !outcome.created } }
    },
  }
}

export type InboundService = ReturnType<typeof createInboundService>
