import { eq } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { handoffs, type HandoffRow } from '../../db/schema/index.ts'

export async function insertHandoff(db: Queryable, row: typeof handoffs.$inferInsert): Promise<HandoffRow> {
  const [inserted] = await db.insert(handoffs).values(row).returning()
  return inserted!
}

export async function findHandoff(db: Queryable, id: string): Promise<HandoffRow | undefined> {
  const [row] = await db.select().from(handoffs).where(eq(handoffs.id, id))
  return row
}
