CREATE TABLE "rep_answers" (
	"rep_id" uuid PRIMARY KEY NOT NULL,
	"released" integer DEFAULT 0 NOT NULL,
	"unworked" integer DEFAULT 0 NOT NULL,
	"expired_in_row" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "rep_answers_counts_check" CHECK ("rep_answers"."released" >= 0 and "rep_answers"."unworked" >= 0 and "rep_answers"."expired_in_row" >= 0)
);
--> statement-breakpoint
ALTER TABLE "rep_loads" ADD COLUMN "claimed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "rep_answers" ADD CONSTRAINT "rep_answers_rep_id_reps_id_fk" FOREIGN KEY ("rep_id") REFERENCES "public"."reps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Carry the counts over: what was pending is what was claimed and not yet released.
UPDATE "rep_loads" SET "claimed" = "pending";--> statement-breakpoint
INSERT INTO "rep_answers" ("rep_id", "released", "unworked", "expired_in_row")
  SELECT "rep_id", 0, "unworked", "expired_in_row" FROM "rep_loads" ON CONFLICT DO NOTHING;
