-- leads_domain_idx is built CONCURRENTLY, outside this migration's transaction, by
-- migrations/concurrent/0028_lead_lookup_indexes.sql (src/db/concurrent-indexes.ts): a plain
-- CREATE INDEX would block writes to leads for the whole build. This one records it in the
-- drizzle snapshot, so drizzle-kit does not ask for it again.
SELECT 1;
