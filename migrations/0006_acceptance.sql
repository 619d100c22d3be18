ALTER TABLE "rep_loads" ADD COLUMN "expired_in_row" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "handoffs" ADD COLUMN "reason" text;