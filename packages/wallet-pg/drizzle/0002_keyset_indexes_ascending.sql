DROP INDEX "point_transactions_account_seq_idx";--> statement-breakpoint
DROP INDEX "wallet_transactions_wallet_seq_idx";--> statement-breakpoint
DROP INDEX "wallet_transactions_wallet_type_seq_idx";--> statement-breakpoint
CREATE INDEX "point_transactions_account_seq_idx" ON "point_transactions" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_seq_idx" ON "wallet_transactions" USING btree ("wallet_id","seq");--> statement-breakpoint
CREATE INDEX "wallet_transactions_wallet_type_seq_idx" ON "wallet_transactions" USING btree ("wallet_id","type","seq");