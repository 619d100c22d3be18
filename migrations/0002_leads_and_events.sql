CREATE TABLE "events" (
	"position" bigserial PRIMARY KEY NOT NULL,
	"txid" bigint DEFAULT pg_current_xact_id()::text::bigint NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"lead_id" uuid,
	"data" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "leads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"domain" text,
	"first_name" text,
	"last_name" text,
	"phone" text,
	"company" text,
	"website" text,
	"country" text,
	"region" text,
	"city" text,
	"industry" text,
	"employees" integer,
	"annual_revenue" bigint,
	"product_interest" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source" text,
	"utm" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"signals" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"custom" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"owner_id" uuid,
	"score" integer NOT NULL,
	"qualified" boolean NOT NULL,
	"tier" text,
	"decision" jsonb NOT NULL,
	"submissions" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"last_submitted_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "leads_status_check" CHECK (status in ('received', 'disqualified', 'nurture', 'qualified', 'pending_acceptance', 'unrouted', 'accepted', 'escalated', 'contacted', 'converted', 'closed'))
);
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_owner_id_reps_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."reps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_feed_idx" ON "events" USING btree ("txid","position");--> statement-breakpoint
CREATE INDEX "events_lead_idx" ON "events" USING btree ("lead_id","position");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type");--> statement-breakpoint
CREATE INDEX "leads_email_idx" ON "leads" USING btree ("email","last_submitted_at");--> statement-breakpoint
CREATE INDEX "leads_status_idx" ON "leads" USING btree ("status");--> statement-breakpoint
CREATE INDEX "leads_owner_idx" ON "leads" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "leads_created_idx" ON "leads" USING btree ("created_at");