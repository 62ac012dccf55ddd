DROP INDEX "holds_wallet_active_idx";--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "active_holds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "holds_wallet_active_idx" ON "holds" USING btree ("wallet_id","expires_at","id") WHERE "holds"."status" = 'active';--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_active_holds" CHECK ("wallets"."active_holds" >= 0);--> statement-breakpoint
-- Each wallet's count of holds stored as active: what tells a lock to load them from now on (it
-- was a held amount above zero, which leaves out holds that expired unmarked).
UPDATE "wallets" w SET "active_holds" = h.n
  FROM (SELECT "wallet_id", count(*)::int AS n FROM "holds" WHERE "status" = 'active' GROUP BY "wallet_id") h
  WHERE h."wallet_id" = w."id";
