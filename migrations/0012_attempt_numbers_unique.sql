DROP INDEX "webhook_attempts_delivery_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_attempts_delivery_number_idx" ON "webhook_attempts" USING btree ("delivery_id","number");