ALTER TABLE "outbox_dead_letters" ADD COLUMN "resend_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox_dead_letters" ADD COLUMN "redelivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox_sink_cursors" ADD COLUMN "consecutive_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_sink_cursors" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "outbox_sink_cursors" ADD COLUMN "last_error_at" timestamp with time zone;--> statement-breakpoint
-- Sinks were keyed by their URL ("webhook:https://…?token=…"), which put any token in the URL in
-- this table and in the dead-letter list. A webhook configured by URL alone is now named
-- "webhook-" and the first 12 hex digits of the URL's SHA-256 (the relay computes the same name),
-- so an upgraded deployment keeps each endpoint's position and dead letters, and the URLs go.
UPDATE outbox_sink_cursors SET sink = 'webhook-' || left(encode(sha256(convert_to(substr(sink, 9), 'UTF8')), 'hex'), 12) WHERE sink LIKE 'webhook:%';
--> statement-breakpoint
UPDATE outbox_dead_letters SET sink = 'webhook-' || left(encode(sha256(convert_to(substr(sink, 9), 'UTF8')), 'hex'), 12) WHERE sink LIKE 'webhook:%';
