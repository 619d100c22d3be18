ALTER TABLE "leads" ADD COLUMN "accept_working_seconds" integer;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "contact_working_seconds" integer;