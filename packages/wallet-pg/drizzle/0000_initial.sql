CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"response" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" uuid NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "outbox_events_id_key" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "point_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"total_points" bigint NOT NULL,
	"available_points" bigint NOT NULL,
	"pending_points" bigint NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "point_accounts_user_key" UNIQUE("user_id"),
	CONSTRAINT "point_accounts_available_non_negative" CHECK ("point_accounts"."available_points" >= 0),
	CONSTRAINT "point_accounts_pending_non_negative" CHECK ("point_accounts"."pending_points" >= 0),
	CONSTRAINT "point_accounts_available_within_total" CHECK ("point_accounts"."available_points" <= "point_accounts"."total_points")
);
--> statement-breakpoint
CREATE TABLE "point_lots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"points" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "point_lots_points_positive" CHECK ("point_lots"."points" > 0),
	CONSTRAINT "point_lots_remaining_range" CHECK ("point_lots"."remaining" >= 0 AND "point_lots"."remaining" <= "point_lots"."points"),
	CONSTRAINT "point_lots_status_valid" CHECK ("point_lots"."status" IN ('pending', 'active', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "point_transactions" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "point_transactions_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"type" text NOT NULL,
	"points" bigint NOT NULL,
	"balance_after" bigint NOT NULL,
	"source" text NOT NULL,
	"description" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "point_transactions_points_non_zero" CHECK ("point_transactions"."points" <> 0),
	CONSTRAINT "point_transactions_balance_after_non_negative" CHECK ("point_transactions"."balance_after" >= 0),
	CONSTRAINT "point_transactions_type_valid" CHECK ("point_transactions"."type" IN ('earn', 'spend', 'adjust', 'expire', 'pending', 'confirm', 'cancel'))
);
--> statement-breakpoint
CREATE TABLE "wallet_transactions" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "wallet_transactions_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid PRIMARY KEY NOT NULL,
	"wallet_id" uuid NOT NULL,
	"type" text NOT NULL,
	"amount" numeric NOT NULL,
	"balance_after" numeric NOT NULL,
	"description" text,
	"reference" text,
	"transfer_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "wallet_transactions_amount_positive" CHECK ("wallet_transactions"."amount" > 0),
	CONSTRAINT "wallet_transactions_balance_after_non_negative" CHECK ("wallet_transactions"."balance_after" >= 0),
	CONSTRAINT "wallet_transactions_type_valid" CHECK ("wallet_transactions"."type" IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out')),
	CONSTRAINT "wallet_transactions_transfer_id" CHECK (("wallet_transactions"."type" IN ('transfer_in', 'transfer_out')) = ("wallet_transactions"."transfer_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"currency" text NOT NULL,
	"balance" numeric NOT NULL,
	"status" text NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "wallets_user_currency_key" UNIQUE("user_id","currency"),
	CONSTRAINT "wallets_balance_non_negative" CHECK ("wallets"."balance" >= 0),
	CONSTRAINT "wallets_status_valid" CHECK ("wallets"."status" IN ('active', 'frozen', 'closed')),
	CONSTRAINT "wallets_currency_code" CHECK ("wallets"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "wallets_closed_at_when_closed" CHECK (("wallets"."status" = 'closed') = ("wallets"."closed_at" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "point_lots" ADD CONSTRAINT "point_lots_account_id_point_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "point_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_transactions" ADD CONSTRAINT "point_transactions_account_id_point_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "point_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "point_lots_open_idx" ON "point_lots" USING btree ("account_id") WHERE "point_lots"."status" = 'pending' OR ("point_lots"."status" = 'active' AND "point_lots"."remaining" > 0);--> statement-breakpoint
CREATE INDEX "point_lots_expiring_idx" ON "point_lots" USING btree ("expires_at") WHERE "point_lots"."status" = 'active' AND "point_lots"."remaining" > 0 AND "point_lots"."expires_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "point_transactions_account_seq_idx" ON "point_transactions" USING btree ("account_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_seq_idx" ON "wallet_transactions" USING btree ("wallet_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_type_seq_idx" ON "wallet_transactions" USING btree ("wallet_id","type","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "wallet_transactions_transfer_idx" ON "wallet_transactions" USING btree ("transfer_id") WHERE "wallet_transactions"."transfer_id" IS NOT NULL;