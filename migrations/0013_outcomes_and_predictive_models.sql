CREATE TABLE "predictive_models" (
	"version" integer PRIMARY KEY NOT NULL,
	"trained_at" timestamp (3) with time zone NOT NULL,
	"samples" integer NOT NULL,
	"baseline_rate" double precision NOT NULL,
	"auc" double precision,
	"seed" integer NOT NULL,
	"model" jsonb NOT NULL,
	"top_features" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "outcome_amount" double precision;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "outcome_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "leads_outcome_idx" ON "leads" USING btree ("outcome_at") WHERE "leads"."outcome" is not null;--> statement-breakpoint
ALTER TABLE "leads" ADD CONSTRAINT "leads_outcome_check" CHECK ("leads"."outcome" in ('won', 'lost'));