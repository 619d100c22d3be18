-- How each handoff's deadline was counted (issue 19). Adding a column with a constant default
-- rewrites nothing; the check is added NOT VALID (no scan under the table lock) and then
-- validated, which reads the table without blocking writes.
ALTER TABLE "handoffs" ADD COLUMN "clock" text DEFAULT 'wall' NOT NULL;--> statement-breakpoint
ALTER TABLE "handoffs" ADD COLUMN "accept_within_seconds" integer;--> statement-breakpoint
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_clock_check" CHECK (clock in ('wall', 'working')) NOT VALID;--> statement-breakpoint
ALTER TABLE "handoffs" VALIDATE CONSTRAINT "handoffs_clock_check";
