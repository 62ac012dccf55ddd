/**
 * The best shape one transaction per command can take: a transfer as ONE call of a plpgsql
 * function (one round trip, autocommit), doing the work the library's transfer does: the
 * idempotency claim when keyed, both wallets locked in id order, the balance and status checks,
 * two updates, two ledger rows each hashed onto its wallet's chain head (SHA-256 in SQL where the
 * library keys an HMAC in Node) and the heads kept (through the ledger's append-only trigger),
 * the same two BalanceChanged outbox rows (through the outbox's commit-order trigger), and the
 * stored response when keyed. Created by the bench in its own database, never shipped.
 */
import type pg from 'pg';

const FUNCTION = `
CREATE OR REPLACE FUNCTION bench_one_call_transfer(p_from uuid, p_to uuid, p_amount numeric, p_scope text, p_key text, p_fingerprint text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r record;
  f record;
  t record;
  v_now timestamptz := clock_timestamp();
  v_transfer uuid := gen_random_uuid();
  v_out uuid := gen_random_uuid();
  v_in uuid := gen_random_uuid();
  v_from_after numeric;
  v_to_after numeric;
  v_response text;
  v_out_hash text;
  v_in_hash text;
BEGIN
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES (p_scope, p_key, p_fingerprint, v_now)
      ON CONFLICT (scope, key) DO NOTHING;
    IF NOT FOUND THEN
      SELECT response INTO v_response FROM idempotency_keys WHERE scope = p_scope AND key = p_key;
      RETURN v_response;
    END IF;
  END IF;
  FOR r IN SELECT id, user_id, currency, balance, held_amount, status, chain_head FROM wallets WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE LOOP
    IF r.id = p_from THEN f := r; ELSE t := r; END IF;
  END LOOP;
  IF f IS NULL OR t IS NULL THEN RAISE EXCEPTION 'WALLET_NOT_FOUND'; END IF;
  IF f.status <> 'active' OR t.status <> 'active' THEN RAISE EXCEPTION 'WALLET_NOT_ACTIVE'; END IF;
  IF f.currency <> t.currency THEN RAISE EXCEPTION 'CURRENCY_MISMATCH'; END IF;
  IF f.balance - f.held_amount < p_amount THEN RAISE EXCEPTION 'INSUFFICIENT_FUNDS'; END IF;
  v_from_after := f.balance - p_amount;
  v_to_after := t.balance + p_amount;
  v_out_hash := encode(sha256(convert_to(coalesce(f.chain_head, '') || E'\n' || json_build_array(v_out, p_from, f.user_id, f.currency, 'transfer_out',
    p_amount::text, v_from_after::text, v_transfer, v_now)::text, 'UTF8')), 'hex');
  v_in_hash := encode(sha256(convert_to(coalesce(t.chain_head, '') || E'\n' || json_build_array(v_in, p_to, t.user_id, t.currency, 'transfer_in',
    p_amount::text, v_to_after::text, v_transfer, v_now)::text, 'UTF8')), 'hex');
  UPDATE wallets SET balance = v_from_after, version = version + 1, updated_at = v_now, chain_head = v_out_hash WHERE id = p_from;
  UPDATE wallets SET balance = v_to_after, version = version + 1, updated_at = v_now, chain_head = v_in_hash WHERE id = p_to;
  INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, transfer_id, created_at, hash) VALUES
    (v_out, p_from, 'transfer_out', p_amount, v_from_after, v_transfer, v_now, v_out_hash),
    (v_in, p_to, 'transfer_in', p_amount, v_to_after, v_transfer, v_now, v_in_hash);
  INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at) VALUES
    (gen_random_uuid(), 'BalanceChanged', 'wallet', p_from, jsonb_build_object('userId', f.user_id, 'currency', f.currency,
      'transactionId', v_out, 'transactionType', 'transfer_out', 'amount', p_amount::text, 'balanceAfter', v_from_after::text,
      'transferId', v_transfer, 'reference', NULL, 'holdId', NULL, 'refundOf', NULL), v_now),
    (gen_random_uuid(), 'BalanceChanged', 'wallet', p_to, jsonb_build_object('userId', t.user_id, 'currency', t.currency,
      'transactionId', v_in, 'transactionType', 'transfer_in', 'amount', p_amount::text, 'balanceAfter', v_to_after::text,
      'transferId', v_transfer, 'reference', NULL, 'holdId', NULL, 'refundOf', NULL), v_now);
  v_response := json_build_object('transferId', v_transfer, 'walletId', p_from, 'balance', v_from_after::text, 'transactionId', v_out)::text;
  IF p_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response = v_response WHERE scope = p_scope AND key = p_key;
  END IF;
  RETURN v_response;
END;
$$`;

/** Creates the function in the schema the pool's connections have as their search path. */
export async function createOneCallTransfer(pool: pg.Pool): Promise<void> {
  await pool.query(FUNCTION);
}

/** One transfer, one round trip; `key` makes it keyed (the fingerprint is as long as the library's). */
export async function oneCallTransfer(pool: pg.Pool, from: string, to: string, amount: string, key?: string): Promise<void> {
  await pool.query({
    name: 'bench_one_call_transfer',
    text: 'SELECT bench_one_call_transfer($1, $2, $3, $4, $5, $6) AS response',
    values: [
      from,
      to,
      amount,
      '',
      key ?? null,
      key === undefined ? null : JSON.stringify({ command: 'transfer', input: { fromWalletId: from, toWalletId: to, amount }, asUser: null }),
    ],
  });
}
