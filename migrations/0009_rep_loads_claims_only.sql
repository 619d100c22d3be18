ALTER TABLE "rep_loads" DROP CONSTRAINT "rep_loads_counts_check";--> statement-breakpoint
ALTER TABLE "rep_loads" DROP COLUMN "pending";--> statement-breakpoint
ALTER TABLE "rep_loads" DROP COLUMN "unworked";--> statement-breakpoint
ALTER TABLE "rep_loads" DROP COLUMN "expired_in_row";--> statement-breakpoint
ALTER TABLE "rep_loads" ADD CONSTRAINT "rep_loads_counts_check" CHECK ("rep_loads"."claimed" >= 0 and "rep_loads"."day_count" >= 0);--> statement-breakpoint
-- Each rep's workload as one row, for routing, tests and operators: pending is what was
-- claimed and not yet released (see src/db/schema/routing.ts for why two tables).
CREATE VIEW "rep_workload" AS
  SELECT r."id" AS "rep_id",
    COALESCE(l."claimed", 0) - COALESCE(a."released", 0) AS "pending",
    COALESCE(a."unworked", 0) AS "unworked",
    COALESCE(a."expired_in_row", 0) AS "expired_in_row",
    l."day", COALESCE(l."day_count", 0) AS "day_count"
  FROM "reps" r
  LEFT JOIN "rep_loads" l ON l."rep_id" = r."id"
  LEFT JOIN "rep_answers" a ON a."rep_id" = r."id";
