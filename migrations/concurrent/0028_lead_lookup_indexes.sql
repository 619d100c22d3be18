-- Built by src/db/concurrent-indexes.ts after drizzle's migrations, outside a transaction: leads grow by the million.
-- GET /v1/leads?domain=: the domain's leads in id order, so each page reads only itself (email= has leads_email_idx;
-- repId= has leads_owner_idx and handoffs_rep_idx).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "leads_domain_idx" ON "leads" USING btree ("domain","id");
