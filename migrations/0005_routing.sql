CREATE TABLE "rep_loads" (
	"rep_id" uuid PRIMARY KEY NOT NULL,
	"pending" integer DEFAULT 0 NOT NULL,
	"unworked" integer DEFAULT 0 NOT NULL,
	"day" date,
	"day_count" integer DEFAULT 0 NOT NULL,
	"last_assigned_at" timestamp (3) with time zone,
	CONSTRAINT "rep_loads_counts_check" CHECK ("rep_loads"."pending" >= 0 and "rep_loads"."unworked" >= 0 and "rep_loads"."day_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "routing_rulesets" (
	"version" integer PRIMARY KEY NOT NULL,
	"ruleset" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handoffs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lead_id" uuid NOT NULL,
	"rep_id" uuid NOT NULL,
	"status" text NOT NULL,
	"attempt" integer NOT NULL,
	"deadline_at" timestamp (3) with time zone NOT NULL,
	"ruleset_version" integer,
	"rule_index" integer,
	"rule_name" text,
	"assign" jsonb,
	"team_id" uuid,
	"trace" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"responded_at" timestamp (3) with time zone,
	CONSTRAINT "handoffs_status_check" CHECK (status in ('pending', 'accepted', 'declined', 'expired', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "next_route_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "rep_loads" ADD CONSTRAINT "rep_loads_rep_id_reps_id_fk" FOREIGN KEY ("rep_id") REFERENCES "public"."reps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_rep_id_reps_id_fk" FOREIGN KEY ("rep_id") REFERENCES "public"."reps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "handoffs_one_live_per_lead" ON "handoffs" USING btree ("lead_id") WHERE "handoffs"."status" in ('pending', 'accepted');--> statement-breakpoint
CREATE INDEX "handoffs_rep_idx" ON "handoffs" USING btree ("rep_id","status","created_at");--> statement-breakpoint
CREATE INDEX "handoffs_lead_idx" ON "handoffs" USING btree ("lead_id","attempt");--> statement-breakpoint
-- Every existing rep gets its load row; new reps get theirs when created.
INSERT INTO "rep_loads" ("rep_id") SELECT "id" FROM "reps" ON CONFLICT DO NOTHING;--> statement-breakpoint
-- Each team's rotation turns come from a sequence of its own (see routing.repo.ts: nextTurn).
DO $$
DECLARE team record;
BEGIN
  FOR team IN SELECT "id" FROM "teams" LOOP
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', 'team_turns_' || replace(team.id::text, '-', ''));
  END LOOP;
END $$;
