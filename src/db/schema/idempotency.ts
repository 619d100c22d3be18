import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

// The first answer to each (caller, key), stored in the same transaction as the
// work it describes, so a retry either replays it or finds that nothing happened.
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: integer('status').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
)
