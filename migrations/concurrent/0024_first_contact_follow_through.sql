-- Built by src/db/concurrent-indexes.ts after drizzle's migrations, outside a transaction.
-- The timer backstop's look-up of first contacts past their reassign time (src/modules/handoffs/timer-backstop.ts).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "tasks_reassign_due_idx" ON "tasks" USING btree ("reassign_at") WHERE "tasks"."status" = 'open' AND "tasks"."reassign_at" IS NOT NULL;
-- One first-contact task per acceptance (it replaces tasks_one_first_contact, one per lead).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "tasks_one_first_contact_per_handoff" ON "tasks" USING btree ("handoff_id") WHERE "tasks"."kind" = 'first_contact';
