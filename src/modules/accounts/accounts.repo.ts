import { and, asc, eq, gt, inArray, ne, sql, type SQL } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { accountDomains, accounts, type AccountRow } from '../../db/schema/index.ts'

export async function insertAccount(db: Queryable, row: typeof accounts.$inferInsert): Promise<AccountRow> {
  const [inserted] = await db.insert(accounts).values(row).returning()
  return inserted!
}

export async function findAccount(db: Queryable, id: string, lock?: 'update'): Promise<AccountRow | undefined> {
  const query = db.select().from(accounts).where(eq(accounts.id, id))
  const [row] = lock ? await query.for('update') : await query
  return row
}

export async function listAccounts(
  db: Queryable,
  { ownerId, domain, after, limit }: { ownerId?: string; domain?: string; after?: string; limit: number },
): Promise<AccountRow[]> {
  const filters: SQL[] = []
  if (after) filters.push(gt(accounts.id, after))
  if (ownerId) filters.push(eq(accounts.ownerId, ownerId))
  if (domain)
    filters.push(
      sql`exists (select 1 from ${accountDomains}
        where ${accountDomains.accountId} = ${accounts.id} and ${accountDomains.domain} = ${domain})`,
    )
  return db
    .select()
    .from(accounts)
    .where(and(...filters))
    .orderBy(asc(accounts.id))
    .limit(limit + 1)
}

export async function updateAccount(db: Queryable, id: string, changes: Partial<typeof accounts.$inferInsert>): Promise<AccountRow> {
  const [row] = await db.update(accounts).set(changes).where(eq(accounts.id, id)).returning()
  return row!
}

export async function deleteAccount(db: Queryable, id: string): Promise<void> {
  await db.delete(accounts).where(eq(accounts.id, id))
}

/** Domains of the given accounts, grouped by account id, each list sorted. */
export async function domainsOf(db: Queryable, accountIds: string[]): Promise<Map<string, string[]>> {
  const byAccount = new Map<string, string[]>(accountIds.map((id) => [id, []]))
  if (accountIds.length === 0) return byAccount
  const rows = await db
    .select()
    .from(accountDomains)
    .where(inArray(accountDomains.accountId, accountIds))
    .orderBy(asc(accountDomains.domain))
  for (const row of rows) byAccount.get(row.accountId)?.push(row.domain)
  return byAccount
}

/** Which of `domains` another account already holds, and which account. */
export async function domainsHeldElsewhere(db: Queryable, domains: string[], accountId: string) {
  if (domains.length === 0) return []
  return db
    .select()
    .from(accountDomains)
    .where(and(inArray(accountDomains.domain, domains), ne(accountDomains.accountId, accountId)))
}

export async function replaceDomains(db: Queryable, accountId: string, domains: string[]): Promise<void> {
  await db.delete(accountDomains).where(eq(accountDomains.accountId, accountId))
  await db.insert(accountDomains).values(domains.map((domain) => ({ domain, accountId })))
}
