CREATE TABLE "outbox_dead_letters" (
	"sink" text NOT NULL,
	"position" bigint NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "outbox_dead_letters_pkey" PRIMARY KEY("sink","position")
);
--> statement-breakpoint
CREATE TABLE "outbox_sink_cursors" (
	"sink" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "outbox_dead_letters_created_idx" ON "outbox_dead_letters" USING btree ("created_at");--> statement-breakpoint
-- Commit order for readers of the outbox. An event's `seq` is taken when its row is inserted, but
-- the transaction may commit after one that took a later `seq`: a reader that went past the later
-- one would never see the earlier. So every transaction that writes events holds this advisory
-- lock in SHARED mode from just before its first `seq` until it ends (a statement trigger, so it
-- cannot be forgotten by any writer), and a reader takes it EXCLUSIVELY for an instant: once it
-- has it, no transaction that took a `seq` is still running, and every `seq` up to the largest
-- committed one is settled (committed or rolled back for good). Readers read only up to that
-- horizon. Writers wait at most for that instant; nothing else serialises them.
CREATE FUNCTION wallet_outbox_writer_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(113728307881840);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER outbox_events_commit_order BEFORE INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_outbox_writer_lock();
--> statement-breakpoint
-- The largest position below which every event is committed or will never exist. VOLATILE, so its
-- query takes a snapshot after the lock is granted; the lock is released when the caller's
-- transaction ends (call it outside an explicit transaction, or end that transaction promptly).
CREATE FUNCTION wallet_outbox_horizon() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(113728307881840);
  RETURN (SELECT coalesce(max(seq), 0) FROM outbox_events);
END;
$$;
