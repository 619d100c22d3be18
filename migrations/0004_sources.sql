CREATE TABLE "inbound_submissions" (
	"source_id" uuid NOT NULL,
	"submission_id" text NOT NULL,
	"lead_id" uuid NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "inbound_submissions_source_id_submission_id_pk" PRIMARY KEY("source_id","submission_id")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"auth" text NOT NULL,
	"secret" text NOT NULL,
	"field_map" jsonb NOT NULL,
	"lead_source" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "inbound_submissions" ADD CONSTRAINT "inbound_submissions_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_submissions" ADD CONSTRAINT "inbound_submissions_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbound_submissions_lead_idx" ON "inbound_submissions" USING btree ("lead_id");