-- A lead may have one pending and one accepted handoff at once (a reassign offers an owned lead to
-- another rep; the owner keeps it until that rep accepts), never two of either. The two indexes
-- that say so are built CONCURRENTLY right after this migration, by
-- migrations/concurrent/0027_one_pending_one_accepted.sql; every change of a handoff's status holds
-- its row lock, so none can double up in between.
DROP INDEX "handoffs_one_live_per_lead";
