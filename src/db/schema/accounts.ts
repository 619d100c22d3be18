import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { reps } from './reps.ts'

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    ownerId: uuid('owner_id').references(() => reps.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('accounts_owner_idx').on(t.ownerId)],
)

// The primary key makes "a domain belongs to one account" a database fact,
// so two concurrent writers cannot both claim it.
export const accountDomains = pgTable(
  'account_domains',
  {
    domain: text('domain').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
  },
  (t) => [index('account_domains_account_idx').on(t.accountId)],
)

export type AccountRow = typeof accounts.$inferSelect
