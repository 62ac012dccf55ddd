import type { PGliteInterface, Transaction } from '@electric-sql/pglite';
import type { Metadata } from '@goodgo/wallet-core';
import { LOCAL_MIGRATIONS } from './local-schema.js';
import type { Allowance, SpendLine, SyncAnswer } from './wire.js';
import type { Problem } from './errors.js';

/** The statuses of an allowance the till still holds: selling, settling (no more sales), or stopped by a seq conflict. */
export type OpenStatus = 'active' | 'settling' | 'conflict';
const OPEN = `('active', 'settling', 'conflict')`;

/** An allowance as the till keeps it while it may still sell or forward against it. */
export interface LocalAllowance {
  id: string;
  walletId: string;
  currency: string;
  amount: string;
  spent: string;
  spendCount: number;
  maxSpendAmount: string | null;
  maxSpends: number | null;
  windowStartMs: number;
  windowMs: number;
  status: OpenStatus;
  server: Allowance;
  syncedSeq: number;
  unsent: number;
  problem: Problem | null;
  lastSyncAt: string | null;
}

/** Metadata as a jsonb parameter: JSON text, or null for none. */
const jsonOrNull = (metadata: Metadata | null): string | null => (metadata === null ? null : JSON.stringify(metadata));

export interface NewAllowance {
  server: Allowance;
  currency: string;
  windowStartMs: number;
  windowMs: number;
}

export interface Sale {
  allowanceId: string;
  amount: string;
  clockMs: number;
  wallMs: number;
  reference: string | null;
  description: string | null;
  toWalletId: string | null;
  metadata: Metadata | null;
}

export interface QueuedEarn {
  localId: string;
  userId: string;
  points: number;
  source: string;
  description: string | null;
  metadata: Metadata | null;
}

interface AllowanceRow {
  id: string;
  wallet_id: string;
  currency: string;
  amount: string;
  spent: string;
  spend_count: number;
  max_spend_amount: string | null;
  max_spends: number | null;
  window_start_ms: number | bigint;
  window_ms: number | bigint;
  status: OpenStatus;
  server: Allowance;
  synced_seq: number;
  unsent: number;
  problem: Problem | null;
  last_sync_at: Date | null;
}

/**
 * Every statement the till runs against its own database. A sale is one statement (so one
 * transaction, one round trip): the allowance row takes the amount, the count and the clock
 * reading under its constraints, the spend row is written with the seq that count gives, and
 * the clock checkpoint moves, all or nothing.
 */
export class LocalBooks {
  constructor(readonly db: PGliteInterface) {}

  async migrate(): Promise<void> {
    await this.db.exec('CREATE TABLE IF NOT EXISTS till_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await this.db.query<{ version: number | null }>('SELECT max(version) AS version FROM till_migrations');
    const applied = rows[0]?.version ?? 0;
    for (let version = applied + 1; version <= LOCAL_MIGRATIONS.length; version++) {
      await this.db.transaction(async (tx) => {
        await tx.exec(LOCAL_MIGRATIONS[version - 1] as string);
        await tx.query('INSERT INTO till_migrations (version) VALUES ($1)', [version]);
      });
    }
  }

  async openAllowances(): Promise<LocalAllowance[]> {
    return this.selectAllowances(this.db, `a.status IN ${OPEN}`, []);
  }

  async allowance(id: string, db: PGliteInterface | Transaction = this.db): Promise<LocalAllowance | null> {
    return (await this.selectAllowances(db, 'a.id = $1', [id]))[0] ?? null;
  }

  private async selectAllowances(db: PGliteInterface | Transaction, where: string, params: unknown[]): Promise<LocalAllowance[]> {
    const { rows } = await db.query<AllowanceRow>(
      `SELECT a.id, a.wallet_id, a.currency, a.amount::text AS amount, a.spent::text AS spent, a.spend_count,
              a.max_spend_amount::text AS max_spend_amount, a.max_spends, a.window_start_ms, a.window_ms, a.status,
              a.server, a.synced_seq, a.problem, a.last_sync_at,
              (SELECT count(*)::int FROM spends s WHERE s.allowance_id = a.id AND s.status = 'unsent') AS unsent
         FROM allowances a WHERE ${where} ORDER BY a.received_at, a.id`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      walletId: r.wallet_id,
      currency: r.currency,
      amount: r.amount,
      spent: r.spent,
      spendCount: r.spend_count,
      maxSpendAmount: r.max_spend_amount,
      maxSpends: r.max_spends,
      windowStartMs: Number(r.window_start_ms),
      windowMs: Number(r.window_ms),
      status: r.status,
      server: r.server,
      syncedSeq: r.synced_seq,
      unsent: r.unsent,
      problem: r.problem,
      lastSyncAt: r.last_sync_at ? r.last_sync_at.toISOString() : null,
    }));
  }

  /** Keeps an allowance the service opened for this till (or one it already had, from the service's figures). */
  async insertAllowance(a: NewAllowance): Promise<void> {
    const s = a.server;
    await this.db.query(
      `INSERT INTO allowances (id, wallet_id, currency, amount, spent, spend_count, largest_spend, max_spend_amount, max_spends,
                               window_start_ms, window_ms, server, synced_seq)
       VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6, 0, $7::numeric, $8, $9, $10, $11, $6)`,
      [s.id, s.walletId, a.currency, s.amount, s.spentAmount, s.lastSeq, s.maxSpendAmount, s.maxSpends, a.windowStartMs, a.windowMs, s],
    );
  }

  /** Writes one sale; answers its seq and what is spent after it, or null when the allowance is not active. */
  async recordSale(sale: Sale): Promise<{ seq: number; spent: string } | null> {
    const { rows } = await this.db.query<{ seq: number; spent: string }>(
      `WITH a AS (
         UPDATE allowances
            SET spent = spent + $2::numeric, spend_count = spend_count + 1,
                largest_spend = GREATEST(largest_spend, $2::numeric), last_sale_ms = $3
          WHERE id = $1 AND status = 'active'
          RETURNING id, spend_count AS seq, spent
       ), s AS (
         INSERT INTO spends (allowance_id, seq, amount, occurred_at, reference, description, to_wallet_id, metadata)
         SELECT id, seq, $2::numeric, to_timestamp($4::double precision / 1000), $5, $6, $7, $8::jsonb FROM a
       ), c AS (
         UPDATE till_clock SET elapsed_ms = GREATEST(elapsed_ms, $3), wall_ms = $4
       )
       SELECT seq, spent::text AS spent FROM a`,
      [sale.allowanceId, sale.amount, sale.clockMs, sale.wallMs, sale.reference, sale.description, sale.toWalletId, jsonOrNull(sale.metadata)],
    );
    return rows[0] ?? null;
  }

  async saleStatus(allowanceId: string, seq: number): Promise<string | null> {
    const { rows } = await this.db.query<{ status: string }>('SELECT status FROM spends WHERE allowance_id = $1 AND seq = $2', [allowanceId, seq]);
    return rows[0]?.status ?? null;
  }

  /** The next unsent sales of an allowance, in seq order. */
  async unsentSpends(allowanceId: string, limit: number): Promise<SpendLine[]> {
    const { rows } = await this.db.query<{
      seq: number;
      amount: string;
      occurred_at: Date;
      reference: string | null;
      description: string | null;
      to_wallet_id: string | null;
      metadata: Metadata | null;
    }>(
      `SELECT seq, amount::text AS amount, occurred_at, reference, description, to_wallet_id, metadata
         FROM spends WHERE allowance_id = $1 AND status = 'unsent' ORDER BY seq LIMIT $2`,
      [allowanceId, limit],
    );
    return rows.map((r) => ({
      seq: r.seq,
      amount: r.amount,
      occurredAt: r.occurred_at.toISOString(),
      ...(r.reference !== null ? { reference: r.reference } : {}),
      ...(r.description !== null ? { description: r.description } : {}),
      ...(r.to_wallet_id !== null ? { toWalletId: r.to_wallet_id } : {}),
      ...(r.metadata !== null ? { metadata: r.metadata } : {}),
    }));
  }

  /** Marks what the service booked or replayed, and keeps its view of the allowance, in one transaction. */
  async recordSync(allowanceId: string, answer: SyncAnswer): Promise<void> {
    const seqs = answer.results.map((r) => r.seq);
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE spends SET status = r.status, transaction_id = r.transaction_id
           FROM unnest($2::int[], $3::text[], $4::uuid[]) AS r(seq, status, transaction_id)
          WHERE spends.allowance_id = $1 AND spends.seq = r.seq AND spends.status = 'unsent'`,
        [allowanceId, seqs, answer.results.map((r) => r.status), answer.results.map((r) => r.transactionId)],
      );
      await tx.query(`UPDATE allowances SET server = $2, synced_seq = GREATEST(synced_seq, $3), last_sync_at = now() WHERE id = $1`, [
        allowanceId,
        answer.allowance,
        Math.max(0, ...seqs),
      ]);
    });
  }

  /** The service has seqs from `fromSeq` on missing that this till took for sent: send them again. */
  async resend(allowanceId: string, fromSeq: number): Promise<number> {
    const { affectedRows } = await this.db.query(
      `UPDATE spends SET status = 'unsent', transaction_id = NULL WHERE allowance_id = $1 AND seq >= $2 AND status <> 'unsent'`,
      [allowanceId, fromSeq],
    );
    await this.db.query('UPDATE allowances SET synced_seq = LEAST(synced_seq, $2 - 1) WHERE id = $1', [allowanceId, fromSeq]);
    return affectedRows ?? 0;
  }

  /** No more sales against an allowance: its settle is about to be sent. */
  async markSettling(allowanceId: string): Promise<void> {
    await this.db.query(`UPDATE allowances SET status = 'settling' WHERE id = $1 AND status = 'active'`, [allowanceId]);
  }

  /** Stops selling and forwarding against an allowance, keeping what the service said. */
  async markConflict(allowanceId: string, problem: Problem, server: Allowance | null): Promise<void> {
    await this.db.query(`UPDATE allowances SET status = 'conflict', problem = $2, server = COALESCE($3, server) WHERE id = $1`, [allowanceId, problem, server]);
  }

  /** The allowance is over at the service (settled or expired): nothing more is sold or sent against it. */
  async markClosed(allowanceId: string, server: Allowance & { status: 'settled' | 'expired' }, problem: Problem | null): Promise<void> {
    await this.db.query(`UPDATE allowances SET status = $2, server = $3, problem = COALESCE($4, problem), last_sync_at = now() WHERE id = $1`, [
      allowanceId,
      server.status,
      server,
      problem,
    ]);
  }

  async queueEarn(earn: QueuedEarn, wallMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO earns (local_id, user_id, points, source, description, earned_at, metadata)
       VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000), $7::jsonb)`,
      [earn.localId, earn.userId, earn.points, earn.source, earn.description, wallMs, jsonOrNull(earn.metadata)],
    );
  }

  async unsentEarns(limit: number): Promise<QueuedEarn[]> {
    const { rows } = await this.db.query<{
      local_id: string;
      user_id: string;
      points: number | bigint;
      source: string;
      description: string | null;
      metadata: Metadata | null;
    }>(`SELECT local_id, user_id, points, source, description, metadata FROM earns WHERE status = 'unsent' ORDER BY position LIMIT $1`, [limit]);
    return rows.map((r) => ({
      localId: r.local_id,
      userId: r.user_id,
      points: Number(r.points),
      source: r.source,
      description: r.description,
      metadata: r.metadata,
    }));
  }

  async markEarn(localId: string, outcome: { transactionId: string } | { problem: Problem }): Promise<void> {
    if ('transactionId' in outcome) {
      await this.db.query(`UPDATE earns SET status = 'sent', transaction_id = $2 WHERE local_id = $1`, [localId, outcome.transactionId]);
    } else {
      await this.db.query(`UPDATE earns SET status = 'refused', problem = $2 WHERE local_id = $1`, [localId, outcome.problem]);
    }
  }

  async earnStatus(localId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ status: string }>('SELECT status FROM earns WHERE local_id = $1', [localId]);
    return rows[0]?.status ?? null;
  }

  /** Sales and earns not yet accepted by the service. */
  async pending(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM spends WHERE status = 'unsent') + (SELECT count(*) FROM earns WHERE status = 'unsent') AS n`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
