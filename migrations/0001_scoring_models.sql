CREATE TABLE "scoring_models" (
	"version" integer PRIMARY KEY NOT NULL,
	"model" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
