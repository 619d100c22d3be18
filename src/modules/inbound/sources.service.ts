import { randomBytes } from 'node:crypto'
import type { SourceRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound, invalidFields } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { hashToken, loadSecretBox } from '../../lib/secret-box.ts'
import { DEFAULT_FIELD_MAP, checkFieldMap } from './field-map.ts'
import * as repo from './sources.repo.ts'
import type { CreateSourceBody, ListSourcesQuery, Source, UpdateSourceBody } from './sources.schemas.ts'

/**
 * Form sources: which tool posts to which inbound URL, how it signs, and how its fields map to a lead.
 * Signing secrets are stored sealed (SECRETS_KEY); a token source's token only as its SHA-256.
 */
export function createSourcesService({ db, clock, config }: Pick<ServiceDeps, 'db' | 'clock' | 'config'>) {
  /** What the database keeps of a source's secret: a token is only ever compared, a signing secret is signed with. */
  const stored = async (auth: SourceRow['auth'], secret: string) =>
    auth === 'token' ? hashToken(secret) : (await loadSecretBox(config)).seal(secret)

  const toSource = (row: SourceRow): Source => ({
    id: row.id,
    name: row.name,
    kind: row.kind,
    auth: row.auth,
    fieldMap: row.fieldMap,
    leadSource: row.leadSource,
    inboundUrl: `${config.publicUrl}/v1/inbound/${row.id}`,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  })

  async function mustFind(id: string): Promise<SourceRow> {
    const row = await repo.findSource(db, id)
    if (!row) throw new NotFound(`No source with id ${id}.`)
    return row
  }

  return {
    /** Creates a source; the answer is the only time its secret is shown. */
    async create(input: CreateSourceBody): Promise<Source & { secret: string }> {
      const auth = input.kind === 'generic' ? (input.auth ?? 'signature') : 'signature'
      const errors = checkFieldMap(input.fieldMap ?? DEFAULT_FIELD_MAP)
      if (input.kind !== 'generic' && input.auth)
        errors.push({ pointer: '/auth', detail: `${input.kind} signs its requests: auth applies to generic sources only` })
      if (input.kind !== 'generic' && !input.secret)
        errors.push({ pointer: '/secret', detail: `is required: paste the signing secret ${input.kind} shows for this webhook` })
      if (errors.length > 0) throw invalidFields('The source is invalid.', errors)
      const secret =
        input.secret ?? (auth === 'token' ? randomBytes(32).toString('base64url') : `whsec_${randomBytes(24).toString('base64')}`)
      const now = clock.now()
      const row = await repo.insertSource(db, {
        id: newId(),
        name: input.name.trim(),
        kind: input.kind,
        auth,
        secret: await stored(auth, secret),
        fieldMap: input.fieldMap ?? DEFAULT_FIELD_MAP,
        leadSource: input.leadSource ?? input.kind,
        createdAt: now,
        updatedAt: now,
      })
      return { ...toSource(row), secret }
    },

    get: async (id: string) => toSource(await mustFind(id)),
    /**
     * The row with its secret as a verifier needs it, for inbound requests only: a signing
     * secret opened, a token source's token hash as stored.
     */
    async find(id: string): Promise<SourceRow> {
      const row = await mustFind(id)
      return row.auth === 'token' ? row : { ...row, secret: (await loadSecretBox(config)).open(row.secret) }
    },

    async list(query: ListSourcesQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const rows = await repo.listSources(db, { limit, ...(after ? { after } : {}) })
      const page = toPage(rows, limit)
      return { data: page.data.map(toSource), nextCursor: page.nextCursor }
    },

    async update(id: string, changes: UpdateSourceBody): Promise<Source> {
      const current = await mustFind(id)
      if (changes.fieldMap) {
        const errors = checkFieldMap(changes.fieldMap)
        if (errors.length > 0) throw invalidFields('The source is invalid.', errors)
      }
      const row = await repo.updateSource(db, id, {
        ...changes,
        ...(changes.name ? { name: changes.name.trim() } : {}),
        ...(changes.secret !== undefined ? { secret: await stored(current.auth, changes.secret) } : {}),
        updatedAt: clock.now(),
      })
      return toSource(row!)
    },

    async remove(id: string): Promise<void> {
      await mustFind(id)
      await repo.deleteSource(db, id)
    },
  }
}

export type SourcesService = ReturnType<typeof createSourcesService>
