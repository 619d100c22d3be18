-- First contact follows through (firstContact.onOverdue "reassign").
-- A handoff accepted and then moved on (lead.reassigned) ends as 'reassigned'. Every existing row
-- already meets the wider check, so it is added NOT VALID: no scan of handoffs under an exclusive lock.
ALTER TABLE "handoffs" DROP CONSTRAINT "handoffs_status_check";--> statement-breakpoint
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_status_check" CHECK (status in ('pending', 'accepted', 'declined', 'expired', 'cancelled', 'reassigned')) NOT VALID;--> statement-breakpoint
-- A reassigned lead's next owner gets a first-contact task of their own: one per acceptance, not
-- per lead. The accept that creates it holds its handoff's row lock, so none can double up while
-- tasks_one_first_contact_per_handoff is built.
DROP INDEX "tasks_one_first_contact";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "reassign_at" timestamp (3) with time zone;
-- tasks_reassign_due_idx and tasks_one_first_contact_per_handoff are built CONCURRENTLY, outside this
-- migration's transaction, by migrations/concurrent/0024_first_contact_follow_through.sql.
