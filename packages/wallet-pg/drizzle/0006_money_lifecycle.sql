CREATE TABLE "holds" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "holds_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid PRIMARY KEY NOT NULL,
	"wallet_id" uuid NOT NULL,
	"amount" numeric NOT NULL,
	"captured_amount" numeric NOT NULL,
	"status" text NOT NULL,
	"reference" text,
	"description" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "holds_amount_positive" CHECK ("holds"."amount" > 0),
	CONSTRAINT "holds_captured_within_amount" CHECK ("holds"."captured_amount" >= 0 AND "holds"."captured_amount" <= "holds"."amount"),
	CONSTRAINT "holds_captured_when_captured" CHECK (("holds"."status" = 'captured') = ("holds"."captured_amount" > 0)),
	CONSTRAINT "holds_status_valid" CHECK ("holds"."status" IN ('active', 'captured', 'voided', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "point_allocations" (
	"transaction_id" uuid NOT NULL,
	"lot_id" uuid NOT NULL,
	"points" bigint NOT NULL,
	CONSTRAINT "point_allocations_pkey" PRIMARY KEY("transaction_id","lot_id"),
	CONSTRAINT "point_allocations_points_positive" CHECK ("point_allocations"."points" > 0)
);
--> statement-breakpoint
ALTER TABLE "wallets" DROP CONSTRAINT "wallets_user_currency_key";--> statement-breakpoint
ALTER TABLE "point_transactions" DROP CONSTRAINT "point_transactions_points_non_zero";--> statement-breakpoint
ALTER TABLE "point_transactions" DROP CONSTRAINT "point_transactions_type_valid";--> statement-breakpoint
ALTER TABLE "wallet_transactions" DROP CONSTRAINT "wallet_transactions_type_valid";--> statement-breakpoint
ALTER TABLE "wallet_transactions" DROP CONSTRAINT "wallet_transactions_transfer_id";--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "actor" jsonb;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "request_id" text;--> statement-breakpoint
ALTER TABLE "point_transactions" ADD COLUMN "refund_of" uuid;--> statement-breakpoint
ALTER TABLE "point_transactions" ADD COLUMN "actor" jsonb;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "refund_of" uuid;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "actor" jsonb;--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "held_amount" numeric DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "holds" ADD CONSTRAINT "holds_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_allocations" ADD CONSTRAINT "point_allocations_transaction_id_point_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "point_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_allocations" ADD CONSTRAINT "point_allocations_lot_id_point_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "point_lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "holds_wallet_seq_idx" ON "holds" USING btree ("wallet_id","seq");--> statement-breakpoint
CREATE INDEX "holds_wallet_active_idx" ON "holds" USING btree ("wallet_id") WHERE "holds"."status" = 'active';--> statement-breakpoint
CREATE INDEX "point_transactions_refund_of_idx" ON "point_transactions" USING btree ("refund_of") WHERE "point_transactions"."refund_of" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "wallet_transactions_refund_of_idx" ON "wallet_transactions" USING btree ("refund_of") WHERE "wallet_transactions"."refund_of" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "wallets_user_currency_open_key" ON "wallets" USING btree ("user_id","currency") WHERE "wallets"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "wallets_user_idx" ON "wallets" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "point_transactions" ADD CONSTRAINT "point_transactions_refund_of" CHECK (("point_transactions"."type" IN ('refund', 'reversal')) = ("point_transactions"."refund_of" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "point_transactions" ADD CONSTRAINT "point_transactions_points_non_zero" CHECK ("point_transactions"."points" <> 0 OR "point_transactions"."type" IN ('refund', 'reversal'));--> statement-breakpoint
ALTER TABLE "point_transactions" ADD CONSTRAINT "point_transactions_type_valid" CHECK ("point_transactions"."type" IN ('earn', 'spend', 'adjust', 'expire', 'pending', 'confirm', 'cancel', 'refund', 'reversal'));--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_refund_of" CHECK (("wallet_transactions"."type" IN ('refund_in', 'refund_out')) = ("wallet_transactions"."refund_of" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_type_valid" CHECK ("wallet_transactions"."type" IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'refund_in', 'refund_out'));--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_transfer_id" CHECK ("wallet_transactions"."type" = 'refund_in' OR ("wallet_transactions"."type" IN ('transfer_in', 'transfer_out', 'refund_out')) = ("wallet_transactions"."transfer_id" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_held_within_balance" CHECK ("wallets"."held_amount" >= 0 AND "wallets"."held_amount" <= "wallets"."balance");--> statement-breakpoint
-- Credits recorded before this migration get the allocation that links them to their own lot, so
-- they can be reversed like new ones. (Which lots an old spend took was never recorded: such a
-- spend answers NOT_REFUNDABLE.)
INSERT INTO "point_allocations" ("transaction_id", "lot_id", "points")
  SELECT t."id", t."id", t."points" FROM "point_transactions" t JOIN "point_lots" l ON l."id" = t."id"
  WHERE t."type" IN ('earn', 'adjust') AND t."points" > 0;
--> statement-breakpoint
-- Allocations are part of the ledger: append-only like it.
CREATE TRIGGER point_allocations_append_only BEFORE UPDATE OR DELETE ON point_allocations
  FOR EACH ROW EXECUTE FUNCTION wallet_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER point_allocations_no_truncate BEFORE TRUNCATE ON point_allocations
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_append_only();
