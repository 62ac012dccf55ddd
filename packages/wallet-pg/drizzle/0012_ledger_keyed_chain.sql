CREATE TABLE "ledger_chain_start" (
	"one" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"unkeyed_through" bigint NOT NULL,
	CONSTRAINT "ledger_chain_start_one" CHECK ("ledger_chain_start"."one")
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "ledger_checkpoints_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid PRIMARY KEY NOT NULL,
	"run" uuid NOT NULL,
	"body" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "chain_head" text;--> statement-breakpoint
CREATE INDEX "ledger_checkpoints_seq_idx" ON "ledger_checkpoints" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "wallet_transactions_seq_brin" ON "wallet_transactions" USING brin ("seq");--> statement-breakpoint
-- The chain is keyed from here on: the writer computes each row's HMAC from the wallet's chain
-- head (the key is the service's, never the database's), so the per-row trigger goes. Rows
-- written before keep their unkeyed SHA-256 and a null key_id, and wallet_transaction_hash stays
-- to check them; each wallet's head starts at its last row's hash, so its first keyed row links
-- onto the unkeyed chain.
DROP TRIGGER wallet_transactions_hash_chain ON wallet_transactions;
--> statement-breakpoint
DROP FUNCTION wallet_transactions_chain();
--> statement-breakpoint
UPDATE wallets w SET chain_head = (SELECT t.hash FROM wallet_transactions t WHERE t.wallet_id = w.id ORDER BY t.seq DESC LIMIT 1);
--> statement-breakpoint
-- Where the unkeyed past ends: an unkeyed row after this seq was not written by the service (it is
-- someone recomputing rows with wallet_transaction_hash). Signed checkpoints repeat it, so that
-- moving it here is found too.
INSERT INTO ledger_chain_start (unkeyed_through) SELECT coalesce(max(seq), 0) FROM wallet_transactions;
