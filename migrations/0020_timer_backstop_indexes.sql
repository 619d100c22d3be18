-- handoffs_pending_deadline_idx and tasks_overdue_unannounced_idx are built CONCURRENTLY, outside
-- this migration's transaction, by migrations/concurrent/0020_timer_backstop_indexes.sql
-- (src/db/concurrent-indexes.ts): a plain CREATE INDEX would block writes to those growing tables.
SELECT 1;
