/**
 * Reconciliation over SQL, in pages: the core's checks (wallet-core `reconciliation.ts`) evaluated
 * against the database. The ledger is read in keyset pages of wallets and of their rows (the
 * statements are in sql/reconcile.ts), and every row goes through the core's `WalletLedgerWalk` in this process: the keyed hash needs the key,
 * which the database never holds. Each page is one bounded statement, so a run over any number of
 * rows never meets the statement timeout; a run costs one pass over the ledger. The checks that
 * are not about a row's chain (transfers, held amounts, lots, points rows) are set-based
 * statements, the transfers paged by `seq` as well.
 *
 * A routine (incremental) run walks only what was written since the last checkpoint: the wallets
 * that gained rows, each from its last row before them, in one REPEATABLE READ snapshot. A run may
 * then publish a checkpoint of the heads it walked (see checkpoints.ts). @internal
 */
import {
  WalletLedgerWalk,
  canonicalMetadata,
  checkpointMismatch,
  figure,
  problem,
  type CheckpointHead,
  type CheckpointRecord,
  type LedgerCheckpoint,
  type LedgerKeyring,
  type LedgerRowToCheck,
  type ReconciliationFindings,
  type ReconciliationProblem,
  type WalkStart,
} from '@goodgo/wallet-core';
import type { Row } from './driver.js';
import {
  changedWallets,
  heldAgainstHolds,
  newRowPage,
  pointRowChains,
  pointsAgainstLots,
  repeatableRead,
  rowPage,
  rowsById,
  seqBounds,
  startRows,
  unbalancedTransfers,
  walletPage,
  walletsById,
} from './sql/reconcile.js';
import type { Statement } from './sql/statement.js';

const NIL = '00000000-0000-0000-0000-000000000000';

/** How many wallets, and at most how many of their rows, one page reads. */
export interface ReconcilePaging {
  readonly wallets: number;
  readonly rows: number;
  /** How wide a range of `seq` one page of the transfer check covers. */
  readonly seqSpan: number;
}
export const DEFAULT_PAGING: ReconcilePaging = { wallets: 1000, rows: 10_000, seqSpan: 50_000 };

/** Reads one statement; `Scope` runs a few reads on one snapshot (REPEATABLE READ), for a page. */
export type Read = (statement: Statement, params: readonly unknown[]) => Promise<Row[]>;
export type Scope = <T>(fn: (read: Read) => Promise<T>) => Promise<T>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function rowToCheck(r: Row, wallet: { readonly userId: string; readonly currency: string }): LedgerRowToCheck {
  return {
    id: String(r.id),
    walletId: String(r.wallet_id),
    userId: wallet.userId,
    currency: wallet.currency,
    type: String(r.type),
    amount: String(r.amount),
    balanceAfter: String(r.balance_after),
    description: text(r.description),
    reference: text(r.reference),
    transferId: text(r.transfer_id),
    holdId: text(r.hold_id),
    refundOf: text(r.refund_of),
    actorSub: text(r.actor_sub),
    actorRole: text(r.actor_role),
    createdAtMicros: String(r.created_us),
    occurredAtMicros: text(r.occurred_us),
    allowanceId: text(r.allowance_id),
    allowanceSeq: text(r.allowance_seq),
    pairedWith: text(r.paired_with),
    // As stored, whatever it holds: an edited value must fail the chain, not the read.
    metadata: canonicalMetadata(r.metadata),
    hash: String(r.hash),
    keyId: text(r.key_id),
    unkeyedPast: r.unkeyed_past === true,
    unkeyedOk: r.unkeyed_ok === true,
  };
}

export interface RunOptions {
  readonly keyring: LedgerKeyring;
  readonly paging?: ReconcilePaging | undefined;
  /** What the published checkpoints say; an empty record when there are none. */
  readonly checkpoints: CheckpointRecord;
}

/** The unkeyed past ends where the last signed checkpoint says, when there is one: the table can be edited, the signature cannot. */
function unkeyedThroughOf(options: RunOptions, stored: string): string {
  return options.checkpoints.last?.unkeyedThrough ?? stored;
}

/** What a run found, and what it walked: the heads a checkpoint may publish and the position seen. */
export interface RunResult extends ReconciliationFindings {
  /** The highest ledger position when the run started. */
  readonly seen: string;
  readonly unkeyedThrough: string;
  /** The last row of each wallet walked without a finding, with its position. */
  readonly heads: readonly (CheckpointHead & { readonly seq: string })[];
}

/** Walks one wallet's rows as pages of `rows` arrive, and keeps the heads of clean walks. */
class Walks {
  private readonly walks = new Map<string, { walk: WalletLedgerWalk; last: { rowId: string; hash: string; seq: string } | null }>();
  readonly problems: ReconciliationProblem[] = [];
  readonly heads: (CheckpointHead & { seq: string })[] = [];
  rows = 0;

  constructor(
    private readonly keyring: LedgerKeyring,
    private readonly wallets: ReadonlyMap<string, Row>,
    private readonly start: (walletId: string) => WalkStart | null,
    private readonly checkpointHead: (walletId: string) => (CheckpointHead & { checkpoint: string }) | null,
  ) {}

  private of(walletId: string) {
    let entry = this.walks.get(walletId);
    if (entry === undefined) {
      const w = this.wallets.get(walletId);
      const walk = new WalletLedgerWalk(
        this.keyring,
        { id: walletId, currency: String(w?.currency ?? '') },
        this.start(walletId),
        this.checkpointHead(walletId),
      );
      entry = { walk, last: null };
      this.walks.set(walletId, entry);
    }
    return entry;
  }

  add(r: Row): void {
    const walletId = String(r.wallet_id);
    const w = this.wallets.get(walletId);
    const entry = this.of(walletId);
    entry.walk.add(rowToCheck(r, { userId: String(w?.user_id ?? ''), currency: String(w?.currency ?? '') }));
    entry.last = { rowId: String(r.id), hash: String(r.hash), seq: String(r.seq) };
  }

  finish(): void {
    for (const [id, w] of this.wallets) {
      const entry = this.of(id);
      this.rows += entry.walk.rows;
      const found = entry.walk.finish({ balance: String(w.balance), chainHead: text(w.chain_head) });
      this.problems.push(...found);
      if (found.length === 0 && entry.last !== null) this.heads.push({ walletId: id, ...entry.last });
    }
  }
}

async function bounds(read: Read, options: RunOptions) {
  const [b] = await read(seqBounds, []);
  return {
    seen: String(b?.last ?? '0'),
    unkeyedThrough: unkeyedThroughOf(options, String(b?.unkeyed_through ?? '0')),
    wallets: Number(b?.wallets ?? 0),
    pointAccounts: Number(b?.point_accounts ?? 0),
    pointRows: Number(b?.point_rows ?? 0),
  };
}

/** Pages of rows of the wallets of `walks`, from a cursor, until a page comes back short. */
async function walkRows(walks: Walks, page: (cursor: readonly [string, string, string | null]) => Promise<Row[]>, from: string, size: number) {
  let cursor: readonly [string, string, string | null] = [from, '9223372036854775807', null];
  for (;;) {
    const rows = await page(cursor);
    for (const r of rows) walks.add(r);
    const end = rows[rows.length - 1];
    if (end === undefined || rows.length < size) return;
    cursor = [String(end.wallet_id), String(end.seq), String(end.hash)];
  }
}

/** Every check over the whole store, page by page, each page of wallets and their rows on one snapshot. */
export async function reconcileAll(read: Read, scope: Scope, options: RunOptions): Promise<RunResult> {
  const paging = options.paging ?? DEFAULT_PAGING;
  const b = await bounds(read, options);
  const problems: ReconciliationProblem[] = [];
  const heads: (CheckpointHead & { seq: string })[] = [];
  let ledgerRows = b.pointRows;
  let afterWallet = NIL;
  for (;;) {
    const page = await scope(async (inPage) => {
      await inPage(repeatableRead, []);
      const wallets = await inPage(walletPage, [afterWallet, paging.wallets]);
      const last = wallets[wallets.length - 1];
      if (last === undefined) return null;
      const walks = new Walks(
        options.keyring,
        new Map(wallets.map((w) => [String(w.id), w])),
        () => null,
        (id) => options.checkpoints.heads.get(id) ?? null,
      );
      await walkRows(walks, (c) => inPage(rowPage, [c[0], c[1], String(last.id), paging.rows, c[2], b.unkeyedThrough]), afterWallet, paging.rows);
      walks.finish();
      return { walks, lastId: String(last.id) };
    });
    if (page === null) break;
    problems.push(...page.walks.problems);
    heads.push(...page.walks.heads);
    ledgerRows += page.walks.rows;
    afterWallet = page.lastId;
  }
  problems.push(...(await transfersBetween(read, '0', b.seen, paging.seqSpan)));
  problems.push(...(await setChecks(read)));
  return { wallets: b.wallets, pointAccounts: b.pointAccounts, ledgerRows, problems, seen: b.seen, unkeyedThrough: b.unkeyedThrough, heads };
}

/**
 * What was written after the last checkpoint's position, on one snapshot: each wallet that gained
 * rows, walked from its last row before them; the transfers of those rows; and whether the heads
 * of the last checkpoint are still in their chains. Costs time in proportion to what changed.
 */
export async function reconcileSince(scope: Scope, since: LedgerCheckpoint, options: RunOptions): Promise<RunResult> {
  const paging = options.paging ?? DEFAULT_PAGING;
  return scope(async (read) => {
    await read(repeatableRead, []);
    const b = await bounds(read, options);
    const problems: ReconciliationProblem[] = [];
    const heads: (CheckpointHead & { seq: string })[] = [];
    let ledgerRows = 0;
    const changed = (await read(changedWallets, [since.through])).map((r) => String(r.id));
    const walked = new Set(changed);
    for (let i = 0; i < changed.length; i += paging.wallets) {
      const ids = changed.slice(i, i + paging.wallets);
      const wallets = await read(walletsById, [ids]);
      const starts = new Map((await read(startRows, [ids, since.through])).map((r) => [String(r.wallet_id), r]));
      const walks = new Walks(
        options.keyring,
        new Map(wallets.map((w) => [String(w.id), w])),
        (id) => {
          const st = starts.get(id);
          return st === undefined
            ? null
            : { hash: String(st.hash), balanceAfter: String(st.balance_after), keyed: st.key_id !== null && st.key_id !== undefined };
        },
        () => null,
      );
      await walkRows(walks, (c) => read(newRowPage, [ids, since.through, c[0], c[1], paging.rows, b.unkeyedThrough]), NIL, paging.rows);
      walks.finish();
      problems.push(...walks.problems);
      heads.push(...walks.heads);
      ledgerRows += walks.rows;
    }
    // The last checkpoint's heads still stand (a wallet whose tail was deleted gained no rows, so
    // only this finds it); a wallet walked above passed through its head only if the head is still there.
    const stand = options.checkpoints.lastHeads;
    const found = new Map<string, Row>();
    for (let i = 0; i < stand.length; i += paging.rows) {
      for (const r of await read(rowsById, [stand.slice(i, i + paging.rows).map((h) => h.rowId)])) found.set(String(r.id), r);
    }
    for (const h of stand) {
      const r = found.get(h.rowId);
      if (r === undefined || String(r.hash) !== h.hash || String(r.wallet_id) !== h.walletId) {
        problems.push(checkpointMismatch(h.walletId, h));
        walked.delete(h.walletId);
      }
    }
    problems.push(...(await transfersBetween(read, since.through, b.seen, paging.seqSpan)));
    return {
      wallets: walked.size,
      pointAccounts: 0,
      ledgerRows,
      problems,
      seen: b.seen,
      unkeyedThrough: b.unkeyedThrough,
      heads: heads.filter((h) => walked.has(h.walletId)),
    };
  });
}

/** Transfers with a row in (from, to], in ranges of `span`; each reported once. */
export async function transfersBetween(read: Read, from: string, to: string, span: number): Promise<ReconciliationProblem[]> {
  const found = new Map<string, ReconciliationProblem>();
  for (let lo = BigInt(from); lo < BigInt(to); lo += BigInt(span)) {
    const hi = lo + BigInt(span) < BigInt(to) ? lo + BigInt(span) : BigInt(to);
    for (const r of await read(unbalancedTransfers, [lo.toString(), hi.toString()])) {
      const currency = String(r.currency ?? '');
      found.set(
        String(r.id),
        problem('transfer_unbalanced', String(r.id), {
          rows: String(r.rows),
          debits: figure(String(r.debits), currency),
          credits: figure(String(r.credits), currency),
        }),
      );
    }
  }
  return [...found.values()];
}
/** The checks that are not about the wallet ledger's rows: held amounts, lots, points rows. */
export async function setChecks(read: Read): Promise<ReconciliationProblem[]> {
  const problems: ReconciliationProblem[] = [];
  for (const r of await read(pointsAgainstLots, [])) {
    problems.push(
      problem('points_mismatch', String(r.id), {
        available: String(r.available),
        pending: String(r.pending),
        lotAvailable: String(r.lot_available),
        lotPending: String(r.lot_pending),
      }),
    );
  }
  for (const r of await read(heldAgainstHolds, [])) {
    const currency = String(r.currency);
    problems.push(problem('held_mismatch', String(r.id), { held: figure(String(r.held), currency), active: figure(String(r.active), currency) }));
  }
  for (const r of await read(pointRowChains, [])) {
    problems.push(problem('points_balance_after_mismatch', String(r.id), { balanceAfter: String(r.balance_after), expected: String(r.expected_after) }));
  }
  return problems;
}
