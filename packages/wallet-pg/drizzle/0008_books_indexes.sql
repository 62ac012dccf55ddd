CREATE INDEX "wallet_transactions_wallet_time_idx" ON "wallet_transactions" USING btree ("wallet_id","created_at","seq");--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_reference_idx" ON "wallet_transactions" USING btree ("wallet_id","reference","seq") WHERE "wallet_transactions"."reference" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "wallets_created_idx" ON "wallets" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "wallets_status_created_idx" ON "wallets" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "wallets_currency_created_idx" ON "wallets" USING btree ("currency","created_at","id");