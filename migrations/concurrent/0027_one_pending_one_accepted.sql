-- Built by src/db/concurrent-indexes.ts after drizzle's migrations, outside a transaction.
-- Never two offers waiting, never two owners (they replace handoffs_one_live_per_lead).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "handoffs_one_pending_per_lead" ON "handoffs" USING btree ("lead_id") WHERE "handoffs"."status" = 'pending';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "handoffs_one_accepted_per_lead" ON "handoffs" USING btree ("lead_id") WHERE "handoffs"."status" = 'accepted';
