-- Admin-level notification settings (GET/PUT /v1/notifications): the admin targets told of a lead
-- that needs a person, and which messages go out at all. Notifications to those targets have no rep.
CREATE TABLE "notification_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"admin_targets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"messages" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "notification_settings_one_row" CHECK ("notification_settings"."id")
);
--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "rep_id" DROP NOT NULL;