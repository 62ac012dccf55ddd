-- Each event keeps the W3C traceparent of the command that wrote it (null outside a trace): the
-- relay's delivery span links to it, and webhooks and RabbitMQ messages carry it on.
ALTER TABLE "outbox_events" ADD COLUMN "traceparent" text;