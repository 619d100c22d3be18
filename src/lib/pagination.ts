import { BadRequest, withFieldErrors } from './errors.ts'
import { isUuid } from './ids.ts'

// Lists are ordered by UUIDv7 id (creation order), so the cursor is simply the last
// id served; it is wrapped so clients treat it as opaque and we may change it later.

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url')
}

/** The id to continue after, or undefined for the first page. A cursor we did not issue is a 400. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown }
    if (typeof after === 'string' && isUuid(after)) return after
  } catch {
    // fall through to the 400 below
  }
  throw invalidCursor('cursor')
}

/** The 400 for a cursor this API did not issue, pointing at the query parameter that carried it. */
export function invalidCursor(parameter: string) {
  return withFieldErrors(new BadRequest('The cursor is not one this API issued.'), [
    { in: 'query', pointer: `/${parameter}`, detail: 'is not a valid cursor' },
  ])
}

/** Cuts a `limit + 1` row fetch into a page and the cursor for the next one. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit)
  const last = data.at(-1)
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }
}
