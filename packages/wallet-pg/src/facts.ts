/**
 * The resolve step's reads (`FactReader`), made by a batch in its own transaction before it locks
 * anything: facts that never change, each kind read once for every unit of the batch. @internal
 */
import { storedCurrencyOf, type Allowance, type FactReader, type FoundWalletTransaction, type Hold } from '@goodgo/wallet-core';
import type { SqlSession } from './driver.js';
import { allowanceFromRow, holdFromRow, walletTransactionFromRow } from './rows.js';
import * as q from './sql/reads.js';
import type { Statement } from './sql/statement.js';

/**
 * Reads by key that coalesce: every key asked for in one turn of the event loop is read by one
 * statement (the units of a batch start their resolve steps together, so 64 captures read their
 * holds once).
 */
class CoalescedReads<V> {
  private pending = new Map<string, { resolve(value: V | null): void; reject(error: unknown): void }[]>();
  private scheduled = false;

  /** `read` returns what it found by key; a key it does not return reads as null. */
  constructor(private readonly read: (keys: string[]) => Promise<Map<string, V>>) {}

  load(key: string): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.send());
      }
    });
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    try {
      const found = await this.read([...batch.keys()]);
      for (const [key, waiting] of batch) for (const w of waiting) w.resolve(found.get(key) ?? null);
    } catch (e) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(e);
    }
  }
}

export class SqlFacts implements FactReader {
  /** The statements of one session leave one after another. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly session: SqlSession) {}

  private read(statement: Statement, params: readonly unknown[]) {
    const next = this.last.then(() => this.session.query(statement.text, params, statement.name));
    this.last = next.catch(() => undefined);
    return next;
  }

  private readonly holds = new CoalescedReads(async (ids) => {
    const rows = await this.read(q.getHolds, [ids]);
    return new Map(rows.map((r): [string, Hold] => [String(r.id), holdFromRow(r, storedCurrencyOf(String(r.currency)))]));
  });
  private readonly walletTransactions = new CoalescedReads(async (ids) => {
    const rows = await this.read(q.findWalletTransactions, [ids]);
    return new Map(
      rows.map((r): [string, FoundWalletTransaction] => {
        const counterpart = r.counterpart_wallet_id;
        return [
          String(r.id),
          { transaction: walletTransactionFromRow(r), counterpartWalletId: counterpart === null || counterpart === undefined ? null : String(counterpart) },
        ];
      }),
    );
  });
  private readonly allowances = new CoalescedReads(async (ids) => {
    const rows = await this.read(q.getAllowances, [ids]);
    return new Map(rows.map((r): [string, Allowance] => [String(r.id), allowanceFromRow(r, storedCurrencyOf(String(r.currency)))]));
  });
  private readonly owners = (statement: Statement) =>
    new CoalescedReads(async (ids) => new Map((await this.read(statement, [ids])).map((r) => [String(r.id), String(r.user_id)])));
  private readonly pointTransactionOwners = this.owners(q.pointTransactionOwners);
  private readonly lotOwners = this.owners(q.lotOwners);
  private readonly walletOwners = this.owners(q.walletOwners);

  walletOwner(walletId: string): Promise<string | null> {
    return this.walletOwners.load(walletId);
  }

  hold(holdId: string): Promise<Hold | null> {
    return this.holds.load(holdId);
  }
  walletTransaction(transactionId: string): Promise<FoundWalletTransaction | null> {
    return this.walletTransactions.load(transactionId);
  }
  pointTransactionOwner(transactionId: string): Promise<string | null> {
    return this.pointTransactionOwners.load(transactionId);
  }
  lotOwner(lotId: string): Promise<string | null> {
    return this.lotOwners.load(lotId);
  }
  allowance(allowanceId: string): Promise<Allowance | null> {
    return this.allowances.load(allowanceId);
  }
  async usersWithDueLots(asOf: Date): Promise<string[]> {
    return (await this.read(q.usersWithDueLots, [asOf.toISOString()])).map((r) => String(r.user_id));
  }
}
