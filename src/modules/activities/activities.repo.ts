import type { Queryable } from '../../db/client.ts'
import { activities, type ActivityRow } from '../../db/schema/index.ts'

export async function insertActivity(db: Queryable, row: typeof activities.$inferInsert): Promise<ActivityRow> {
  const [inserted] = await db.insert(activities).values(row).returning()
  return inserted!
}
