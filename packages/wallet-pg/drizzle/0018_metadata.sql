ALTER TABLE "allowances" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "holds" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "point_transactions" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
CREATE INDEX "point_transactions_metadata_idx" ON "point_transactions" USING gin ("metadata" jsonb_path_ops) WITH (fastupdate=false);--> statement-breakpoint
CREATE INDEX "wallet_transactions_metadata_idx" ON "wallet_transactions" USING gin ("metadata" jsonb_path_ops) WITH (fastupdate=false);--> statement-breakpoint
ALTER TABLE "point_transactions" ADD CONSTRAINT "point_transactions_metadata_object" CHECK (jsonb_typeof("point_transactions"."metadata") = 'object');--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD CONSTRAINT "wallet_transactions_metadata_object" CHECK (jsonb_typeof("wallet_transactions"."metadata") = 'object');