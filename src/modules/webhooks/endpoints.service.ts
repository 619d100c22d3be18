import { randomBytes } from 'node:crypto'
import { type EndpointSecret, type WebhookEndpointRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound, invalidFields } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { loadSecretBox } from '../../lib/secret-box.ts'
import { webhookUrlProblem } from '../../lib/ssrf.ts'
import { eventFilterKind } from '../events/events.service.ts'
import * as repo from './endpoints.repo.ts'
import type { CreateEndpointBody, Endpoint, ListEndpointsQuery, UpdateEndpointBody } from './endpoints.schemas.ts'

// Standard Webhooks: whsec_ and the base64 of 24–64 random bytes; 32 here.
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`

/**
 * Webhook endpoints (admin): where events go, filtered by type, signed with secrets that rotate
 * with a grace period. Secrets are stored sealed (SECRETS_KEY) and shown only at create and rotate.
 */
export function createEndpointsService({ db, clock, config }: Pick<ServiceDeps, 'db' | 'clock' | 'config'>) {
  async function mustFind(id: string): Promise<WebhookEndpointRow> {
    const row = await repo.findEndpoint(db, id)
    if (!row) throw new NotFound(`No webhook endpoint with id ${id}.`)
    return row
  }

  /** The URL (SSRF guard) and the event filter; 422 with a pointer per problem. */
  async function assertValid(input: UpdateEndpointBody): Promise<void> {
    const errors: Array<{ pointer: string; detail: string }> = []
    if (input.url !== undefined) {
      const problem = await webhookUrlProblem(input.url, { allowPrivate: config.webhooks.allowPrivate })
      if (problem) errors.push({ pointer: '/url', detail: problem })
    }
    input.eventTypes?.forEach((type, i) => {
      if (!eventFilterKind(type))
        errors.push({ pointer: `/eventTypes/${i}`, detail: `"${type}" is not an event type or a prefix such as lead.*` })
    })
    if (errors.length > 0) throw invalidFields('The webhook endpoint is invalid.', errors)
  }

  const toAnswer = (row: WebhookEndpointRow): Endpoint => toEndpoint(row, clock.now())

  return {
    async create(input: CreateEndpointBody) {
      await assertValid(input)
      const now = clock.now()
      const secret = newSecret()
      const box = await loadSecretBox(config)
      const row = await repo.insertEndpoint(db, {
        id: newId(),
        url: input.url,
        kind: input.kind ?? 'standard',
        description: input.description ?? null,
        eventTypes: [...new Set(input.eventTypes ?? [])],
        enabled: input.enabled ?? true,
        includeAcceptLinks: input.includeAcceptLinks ?? false,
        secrets: [{ secret: box.seal(secret), createdAt: now.toISOString(), expiresAt: null }],
        createdAt: now,
        updatedAt: now,
      })
      return { ...toAnswer(row), secret }
    },

    async get(id: string) {
      return toAnswer(await mustFind(id))
    },

    async list(query: ListEndpointsQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const rows = await repo.listEndpoints(db, { limit, ...(after ? { after } : {}) })
      const page = toPage(rows, limit)
      return { data: page.data.map(toAnswer), nextCursor: page.nextCursor }
    },

    /** Re-enabling an endpoint clears why it was disabled. */
    async update(id: string, changes: UpdateEndpointBody) {
      await mustFind(id)
      await assertValid(changes)
      const row = await repo.updateEndpoint(db, id, {
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.eventTypes !== undefined ? { eventTypes: [...new Set(changes.eventTypes)] } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.includeAcceptLinks !== undefined ? { includeAcceptLinks: changes.includeAcceptLinks } : {}),
        ...(changes.enabled !== undefined
          ? { enabled: changes.enabled, ...(changes.enabled ? { disabledReason: null, failingSince: null } : {}) }
          : {}),
        updatedAt: clock.now(),
      })
      return toAnswer(row!)
    },

    async remove(id: string): Promise<void> {
      await mustFind(id)
      await repo.deleteEndpoint(db, id)
    },

    /** A new secret, shown once; the current one keeps signing for `graceSeconds` (receivers switch without a gap). */
    async rotateSecret(id: string, graceSeconds = 86_400) {
      const box = await loadSecretBox(config)
      return db.transaction(async (tx) => {
        const current = await repo.lockEndpoint(tx, id, 'update')
        if (!current) throw new NotFound(`No webhook endpoint with id ${id}.`)
        const now = clock.now()
        const graceEnds = new Date(now.getTime() + graceSeconds * 1000).toISOString()
        const secret = newSecret()
        // Every secret still signing goes on signing until the grace ends (or its own earlier end), sealed as it was.
        const previous =
          graceSeconds === 0
            ? []
            : active(current.secrets, now).map((s) => ({
                ...s,
                expiresAt: s.expiresAt !== null && s.expiresAt < graceEnds ? s.expiresAt : graceEnds,
              }))
        const secrets: EndpointSecret[] = [{ secret: box.seal(secret), createdAt: now.toISOString(), expiresAt: null }, ...previous]
        const row = await repo.updateEndpoint(tx, id, { secrets, updatedAt: now })
        return { ...toEndpoint(row!, now), secret }
      })
    },
  }
}

export type EndpointsService = ReturnType<typeof createEndpointsService>

/** The secrets that sign deliveries at `now`: the current one and any still in their grace period. */
export const active = (secrets: EndpointSecret[], now: Date) =>
  secrets.filter((s) => s.expiresAt === null || s.expiresAt > now.toISOString())

function toEndpoint(row: WebhookEndpointRow, now: Date): Endpoint {
  return {
    id: row.id,
    url: row.url,
    kind: row.kind,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    includeAcceptLinks: row.includeAcceptLinks,
    disabledReason: row.disabledReason,
    failingSince: row.failingSince?.toISOString() ?? null,
    secretsActive: active(row.secrets, now).length,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
