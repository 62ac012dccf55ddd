CREATE TABLE "allowances" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "allowances_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid PRIMARY KEY NOT NULL,
	"wallet_id" uuid NOT NULL,
	"till_id" text NOT NULL,
	"amount" numeric NOT NULL,
	"spent_amount" numeric NOT NULL,
	"spend_count" integer NOT NULL,
	"last_seq" integer NOT NULL,
	"largest_spend" numeric NOT NULL,
	"status" text NOT NULL,
	"spend_until" timestamp with time zone NOT NULL,
	"settle_by" timestamp with time zone NOT NULL,
	"max_spend_amount" numeric,
	"max_spends" integer,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "allowances_amount_positive" CHECK ("allowances"."amount" > 0),
	CONSTRAINT "allowances_spent_within_amount" CHECK ("allowances"."spent_amount" >= 0 AND "allowances"."spent_amount" <= "allowances"."amount"),
	CONSTRAINT "allowances_largest_spend" CHECK ("allowances"."largest_spend" >= 0 AND "allowances"."largest_spend" <= "allowances"."spent_amount"),
	CONSTRAINT "allowances_max_spend_amount" CHECK ("allowances"."max_spend_amount" IS NULL OR ("allowances"."max_spend_amount" > 0 AND "allowances"."largest_spend" <= "allowances"."max_spend_amount")),
	CONSTRAINT "allowances_max_spends" CHECK ("allowances"."max_spends" IS NULL OR ("allowances"."max_spends" > 0 AND "allowances"."spend_count" <= "allowances"."max_spends")),
	CONSTRAINT "allowances_seq_without_gap" CHECK ("allowances"."spend_count" >= 0 AND "allowances"."last_seq" = "allowances"."spend_count"),
	CONSTRAINT "allowances_settle_after_spend" CHECK ("allowances"."settle_by" > "allowances"."spend_until"),
	CONSTRAINT "allowances_status_valid" CHECK ("allowances"."status" IN ('active', 'settled', 'expired'))
);
--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "occurred_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "allowance_id" uuid;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "allowance_seq" integer;--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "active_allowances" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "allowances" ADD CONSTRAINT "allowances_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allowances_wallet_seq_idx" ON "allowances" USING btree ("wallet_id","seq");--> statement-breakpoint
CREATE INDEX "allowances_wallet_active_idx" ON "allowances" USING btree ("wallet_id") WHERE "allowances"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "allowances_wallet_till_active_key" ON "allowances" USING btree ("wallet_id","till_id") WHERE "allowances"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "wallet_transactions_allowance_seq_key" ON "wallet_transactions" USING btree ("allowance_id","allowance_seq") WHERE "wallet_transactions"."allowance_id" IS NOT NULL AND "wallet_transactions"."type" IN ('withdrawal', 'transfer_out');--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_allowance_seq" CHECK (("wallet_transactions"."allowance_id" IS NULL) = ("wallet_transactions"."allowance_seq" IS NULL) AND "wallet_transactions"."allowance_seq" > 0);--> statement-breakpoint
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_active_allowances" CHECK ("wallets"."active_allowances" >= 0 AND ("wallets"."status" <> 'closed' OR "wallets"."active_allowances" = 0));--> statement-breakpoint
-- The hash chain covers the new columns: a row with business time or an allowance's seq appends
-- them to its canonical content; every other row (all rows before this migration) hashes as before.
CREATE OR REPLACE FUNCTION wallet_transaction_hash(prev text, t wallet_transactions) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(coalesce(prev, '') || '|' || json_build_array(
    t.id, t.wallet_id, t.type, t.amount::text, t.balance_after::text, t.description, t.reference, t.transfer_id,
    (extract(epoch FROM t.created_at) * 1000000)::bigint, t.hold_id, t.refund_of, t.actor
  )::text || CASE WHEN t.occurred_at IS NULL AND t.allowance_id IS NULL THEN '' ELSE '|' || json_build_array(
    (extract(epoch FROM t.occurred_at) * 1000000)::bigint, t.allowance_id, t.allowance_seq
  )::text END, 'UTF8')), 'hex')
$$;
