ALTER TABLE "wallets" ADD COLUMN "limits" jsonb;--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "limit_usage" jsonb;