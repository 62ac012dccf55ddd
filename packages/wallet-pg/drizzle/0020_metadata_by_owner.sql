DROP INDEX "point_transactions_metadata_idx";--> statement-breakpoint
DROP INDEX "wallet_transactions_metadata_idx";--> statement-breakpoint
CREATE INDEX "point_transactions_account_metadata_idx" ON "point_transactions" USING gin (("metadata" || jsonb_object(ARRAY['$a', "account_id"::text])) jsonb_path_ops) WITH (fastupdate=false);--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_metadata_idx" ON "wallet_transactions" USING gin (("metadata" || jsonb_object(ARRAY['$w', "wallet_id"::text])) jsonb_path_ops) WITH (fastupdate=false);