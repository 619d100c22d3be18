-- Built by src/db/concurrent-indexes.ts after drizzle's migrations, outside a transaction:
-- handoffs and tasks grow by the million, and a plain CREATE INDEX would block their writes.
-- The timer backstop's look-ups, once a minute (src/modules/handoffs/timer-backstop.ts).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "handoffs_pending_deadline_idx" ON "handoffs" USING btree ("deadline_at") WHERE "handoffs"."status" = 'pending';
CREATE INDEX CONCURRENTLY IF NOT EXISTS "tasks_overdue_unannounced_idx" ON "tasks" USING btree ("due_at") WHERE "tasks"."status" = 'open' AND "tasks"."overdue_at" IS NULL;
