CREATE INDEX "webhook_deliveries_endpoint_created_idx" ON "webhook_deliveries" USING btree ("endpoint_id","created_at");--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_lead_sequence_check" CHECK ("events"."lead_id" is null or "events"."sequence" is not null);--> statement-breakpoint
-- best_fit reads won and lost deals by industry segment (routing.repo.ts loadFitStats).
CREATE INDEX "leads_outcome_segment_idx" ON "leads" USING btree ((coalesce(nullif(lower(trim("industry")), ''), 'unknown')), "owner_id") WHERE "outcome" IS NOT NULL;
