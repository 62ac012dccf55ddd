-- Each wallet's ledger is a hash chain: a row's hash is SHA-256 over the previous row's hash (of
-- the same wallet; '' for the first) and the row's canonical content. A trigger computes it in the
-- statement that inserts the row, so every writer gets it; reconciliation recomputes the chain and
-- reports any row whose content or predecessor changed behind the service's back.
-- The canonical content is one function: columns added to the ledger later are appended to it in
-- a new migration, for rows from that migration on (rows before keep verifying as written).
CREATE FUNCTION wallet_transaction_hash(prev text, t wallet_transactions) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(coalesce(prev, '') || '|' || json_build_array(
    t.id, t.wallet_id, t.type, t.amount::text, t.balance_after::text, t.description, t.reference, t.transfer_id,
    (extract(epoch FROM t.created_at) * 1000000)::bigint, t.hold_id, t.refund_of, t.actor
  )::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
ALTER TABLE "wallet_transactions" ADD COLUMN "hash" text;
--> statement-breakpoint
-- Rows written before this release get their chain now, in ledger order (the append-only
-- trigger is lifted for this one statement of the migration only).
ALTER TABLE wallet_transactions DISABLE TRIGGER wallet_transactions_append_only;
--> statement-breakpoint
DO $$
DECLARE
  r wallet_transactions%ROWTYPE;
  prev text;
  cur uuid;
BEGIN
  FOR r IN SELECT * FROM wallet_transactions ORDER BY wallet_id, seq LOOP
    IF cur IS DISTINCT FROM r.wallet_id THEN
      prev := NULL;
      cur := r.wallet_id;
    END IF;
    prev := wallet_transaction_hash(prev, r);
    UPDATE wallet_transactions SET hash = prev WHERE id = r.id;
  END LOOP;
END;
$$;
--> statement-breakpoint
ALTER TABLE wallet_transactions ENABLE TRIGGER wallet_transactions_append_only;
--> statement-breakpoint
ALTER TABLE "wallet_transactions" ALTER COLUMN "hash" SET NOT NULL;
--> statement-breakpoint
CREATE FUNCTION wallet_transactions_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The wallet's row is locked by the writing command, so its latest ledger row cannot change
  -- under us; rows inserted earlier by the same statement are visible here.
  NEW.hash := wallet_transaction_hash((SELECT hash FROM wallet_transactions WHERE wallet_id = NEW.wallet_id ORDER BY seq DESC LIMIT 1), NEW);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER wallet_transactions_hash_chain BEFORE INSERT ON wallet_transactions
  FOR EACH ROW EXECUTE FUNCTION wallet_transactions_chain();
