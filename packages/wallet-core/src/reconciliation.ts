/**
 * What reconciliation checks and reports: every check of the contract ("Reading the books"), each
 * finding named by its kind and the id of the wallet, ledger row, transfer or account it concerns.
 * The checks are listed once, here, with the figures each reports and the sentence it reports
 * them in; a store evaluates them (in memory, or in SQL and in pages) and hands back the figures,
 * so every store words a finding the same way.
 */
import { z } from 'zod';
import { Money } from './money/money.js';
import type { ChainedRow, LedgerKeyring } from './ledger-chain.js';
import type { CheckpointHead } from './ledger-checkpoint.js';
import { CREDIT_TRANSACTION_TYPES } from './wallet/ledger.js';

type Figures<K extends string> = Readonly<Record<K, string>>;

interface Check<K extends string> {
  /** What the finding's `id` names. */
  readonly about: 'wallet' | 'ledger row' | 'transfer' | 'point account' | 'points ledger row' | 'checkpoint';
  readonly describe: (f: Figures<K>) => string;
}

const check = <K extends string>(about: Check<K>['about'], describe: (f: Figures<K>) => string): Check<K> => ({ about, describe });

/** Every check, once: the order is the order of the report's kinds. */
export const RECONCILIATION_CHECKS = {
  /** A wallet's balance is not the sum of its ledger. */
  balance_mismatch: check<'balance' | 'ledger'>('wallet', (f) => `balance ${f.balance} differs from its ledger (${f.ledger})`),
  /** A ledger row's balanceAfter does not follow from the previous row and its amount. */
  balance_after_mismatch: check<'balanceAfter' | 'expected'>(
    'ledger row',
    (f) => `balanceAfter ${f.balanceAfter}; the previous row and the amount give ${f.expected}`,
  ),
  /**
   * A ledger row's hash is not the keyed hash of its content after its predecessor's hash (edited,
   * or a row before it removed), or names a key the service does not hold.
   */
  hash_mismatch: check<'reason'>('ledger row', (f) => f.reason),
  /** A wallet's chain head (kept on the wallet row) is not the hash of its last ledger row. */
  chain_head_mismatch: check<'head' | 'last'>('wallet', (f) => `the wallet's chain head is ${f.head}; its last ledger row's hash is ${f.last}`),
  /** A signed checkpoint named a row and hash as (a past) head of this wallet that its ledger no longer has. */
  checkpoint_mismatch: check<'row' | 'hash' | 'checkpoint'>(
    'wallet',
    (f) => `checkpoint ${f.checkpoint} names row ${f.row} with hash ${f.hash} in this wallet's chain, which no longer has it`,
  ),
  /** A published checkpoint whose signature does not verify, or whose predecessor is missing. */
  checkpoint_invalid: check<'reason'>('checkpoint', (f) => f.reason),
  /** A transfer's rows do not balance (not exactly one debit and one credit of one amount). */
  transfer_unbalanced: check<'rows' | 'debits' | 'credits'>('transfer', (f) => `${f.rows} rows, debits ${f.debits} and credits ${f.credits}`),
  /** A point account's available or pending points differ from its lots. */
  points_mismatch: check<'available' | 'pending' | 'lotAvailable' | 'lotPending'>(
    'point account',
    (f) => `available ${f.available} and pending ${f.pending}; lots hold ${f.lotAvailable} and ${f.lotPending}`,
  ),
  /** A wallet's stored held amount (or count of active allowances) differs from what its holds and allowances stored as active reserve. */
  held_mismatch: check<'held' | 'active'>('wallet', (f) => `held amount ${f.held}; its active holds and allowances reserve ${f.active}`),
  /** A points ledger row's balanceAfter does not follow from the previous row of its account and its points. */
  points_balance_after_mismatch: check<'balanceAfter' | 'expected'>(
    'points ledger row',
    (f) => `balanceAfter ${f.balanceAfter}; the previous row and the points give ${f.expected}`,
  ),
} as const;

type Checks = typeof RECONCILIATION_CHECKS;
export type ReconciliationKind = keyof Checks;
export const RECONCILIATION_KINDS = Object.keys(RECONCILIATION_CHECKS) as readonly ReconciliationKind[];
/** The figures a check reports. */
export type FiguresOf<K extends ReconciliationKind> = Checks[K] extends Check<infer F> ? Figures<F> : never;

const reconciliationProblem = z.object({ kind: z.enum(RECONCILIATION_KINDS), id: z.string(), detail: z.string() });
const reconciliationFindings = z.object({ wallets: z.int(), pointAccounts: z.int(), ledgerRows: z.int(), problems: z.array(reconciliationProblem) });
/** What `reconcile` answers (the store's findings, `ok` when there are none); the HTTP route's response schema. */
export const reconciliationReport = z.object({ ok: z.boolean(), checkedAt: z.string(), ...reconciliationFindings.shape }).meta({ id: 'ReconciliationReport' });

export type ReconciliationProblem = z.output<typeof reconciliationProblem>;

/** A finding, worded by its check. */
export function problem<K extends ReconciliationKind>(kind: K, id: string, figures: FiguresOf<K>): ReconciliationProblem {
  const c = RECONCILIATION_CHECKS[kind] as Check<string>;
  return { kind, id, detail: c.describe(figures) };
}

/** What a store finds; the facade adds `ok` and `checkedAt`. */
export type ReconciliationFindings = z.output<typeof reconciliationFindings>;
export type ReconciliationReport = z.output<typeof reconciliationReport>;

/** Points ledger types that leave available points as they were (pending points come and go). */
export const POINTS_NOT_AVAILABLE_TYPES: readonly string[] = ['pending', 'cancel'];

// ---- the ledger walk: one wallet's rows in order, in memory or page by page -------------------

/** Fraction digits every figure is carried at while walking (no currency has more than 4). */
const SCALE = 12;
const ONE = 10n ** BigInt(SCALE);

/** A stored decimal as an integer count of 10^-12, for exact sums without a Decimal per row. */
export function scaled(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const v = BigInt(whole) * ONE + BigInt((fraction + '0'.repeat(SCALE)).slice(0, SCALE) || '0');
  return negative ? -v : v;
}

function unscaled(v: bigint): string {
  const negative = v < 0n;
  const a = negative ? -v : v;
  const fraction = (a % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${a / ONE}${fraction ? `.${fraction}` : ''}`;
}

/** A figure as the report shows it: with the currency's digits when it has no more than those. */
export function figure(text: string, currency: string): string {
  try {
    return Money.fromStorage(text, currency).format();
  } catch {
    return text;
  }
}

/** A ledger row as the walk reads it: what the chain covers, and what the row stores of its link. */
export interface LedgerRowToCheck extends ChainedRow {
  readonly hash: string;
  /** Null for a row written before the chain was keyed. */
  readonly keyId: string | null;
  /** For a row without a key id: whether it is older than the keyed chain (at or before the last unkeyed position the store recorded). */
  readonly unkeyedPast?: boolean | undefined;
  /** For a row without a key id: whether its unkeyed SHA-256 follows from the previous row, as the store that wrote it computes it. */
  readonly unkeyedOk?: boolean | undefined;
}

/** Where a walk starts when it does not start at a wallet's first row (an incremental run). */
export interface WalkStart {
  /** The stored hash and balanceAfter of the row before the first row walked. */
  readonly hash: string | null;
  readonly balanceAfter: string;
  /** Whether a keyed row came before it. */
  readonly keyed: boolean;
}

const CREDITS: ReadonlySet<string> = new Set(CREDIT_TRANSACTION_TYPES);

/**
 * One wallet's ledger, row by row in ledger order: each balanceAfter follows from the row before,
 * each hash from the previous row's stored hash, and at the end the balance and the chain head
 * match the last row. Both stores feed it, so both word and
 * find alike.
 */
export class WalletLedgerWalk {
  private readonly problems: ReconciliationProblem[] = [];
  private running: bigint;
  /** The walked rows' amounts, signed, from the start: what the balance must be. */
  private sum: bigint;
  private previous: string | null;
  private keyed: boolean;
  private lastHash: string | null;
  private checkpointMet = false;
  rows = 0;

  constructor(
    private readonly keyring: LedgerKeyring,
    private readonly wallet: { readonly id: string; readonly currency: string },
    start: WalkStart | null = null,
    private readonly checkpoint: (CheckpointHead & { readonly checkpoint: string }) | null = null,
  ) {
    this.running = start === null ? 0n : scaled(start.balanceAfter);
    this.sum = this.running;
    this.previous = start?.hash ?? null;
    this.lastHash = this.previous;
    this.keyed = start?.keyed ?? false;
  }

  add(row: LedgerRowToCheck): void {
    this.rows += 1;
    const amount = scaled(row.amount);
    const signed = CREDITS.has(row.type) ? amount : -amount;
    const expected = this.running + signed;
    this.sum += signed;
    const after = scaled(row.balanceAfter);
    const currency = this.wallet.currency;
    if (after !== expected) {
      this.problems.push(
        problem('balance_after_mismatch', row.id, { balanceAfter: figure(row.balanceAfter, currency), expected: figure(unscaled(expected), currency) }),
      );
    }
    this.running = after;
    const reason = this.linkProblem(row);
    if (reason !== null) this.problems.push(problem('hash_mismatch', row.id, { reason }));
    if (this.checkpoint !== null && row.id === this.checkpoint.rowId && row.hash === this.checkpoint.hash) this.checkpointMet = true;
    this.previous = row.hash;
    this.lastHash = row.hash;
  }

  private linkProblem(row: LedgerRowToCheck): string | null {
    if (row.keyId === null) {
      // An unkeyed row is only what the chain was before it was keyed: none may follow a keyed one.
      if (this.keyed) return 'an unkeyed hash after a keyed row: rows are keyed from the first keyed row on';
      if (row.unkeyedPast !== true) return 'an unkeyed hash on a row the keyed chain should have written';
      return row.unkeyedOk === true ? null : 'the row or the row before it in this wallet was changed or removed';
    }
    this.keyed = true;
    if (!this.keyring.has(row.keyId)) return `keyed with ${row.keyId}, a key the service does not hold`;
    return this.keyring.verify(this.previous, row, row.keyId, row.hash) ? null : 'the row or the row before it in this wallet was changed or removed';
  }

  /**
   * The end of the wallet's rows: its stored balance against the sum of its ledger (from the
   * start's balanceAfter when the walk started later), its chain head against the last row's hash,
   * and whether the head a checkpoint published for it was among the rows walked.
   */
  finish(stored: { readonly balance: string; readonly chainHead: string | null }): ReconciliationProblem[] {
    const currency = this.wallet.currency;
    if (scaled(stored.balance) !== this.sum) {
      this.problems.push(
        problem('balance_mismatch', this.wallet.id, { balance: figure(stored.balance, currency), ledger: figure(unscaled(this.sum), currency) }),
      );
    }
    if (stored.chainHead !== this.lastHash) {
      this.problems.push(problem('chain_head_mismatch', this.wallet.id, { head: stored.chainHead ?? 'unset', last: this.lastHash ?? 'none' }));
    }
    if (this.checkpoint !== null && !this.checkpointMet) this.problems.push(checkpointMismatch(this.wallet.id, this.checkpoint));
    return this.problems;
  }
}

export function checkpointMismatch(walletId: string, head: CheckpointHead & { readonly checkpoint: string }): ReconciliationProblem {
  return problem('checkpoint_mismatch', walletId, { row: head.rowId, hash: head.hash, checkpoint: head.checkpoint });
}

/** How much a run checks. */
export interface ReconcileOptions {
  /**
   * Only what was written since the last checkpoint: each wallet that gained rows, walked from its
   * last row before them, its transfers, and the heads of the last checkpoint. The full run (the
   * default) checks everything, every checkpointed head included. Without a checkpoint yet, a
   * routine run is a full run.
   */
  readonly incremental?: boolean | undefined;
  /** Publish a signed checkpoint of the heads this run walked (the event stream, the store, a file). */
  readonly checkpoint?: boolean | undefined;
}

/** A run as a store is asked for it: the facade's clock and ids stamp the checkpoint it publishes. */
export interface ReconcileRun extends ReconcileOptions {
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** Sums of a transfer's rows, for `transfer_unbalanced`. */
export class TransferTally {
  private readonly tallies = new Map<string, { rows: number; debits: bigint; credits: bigint; currency: string }>();

  add(transferId: string, type: string, amount: string, currency: string): void {
    const t = this.tallies.get(transferId) ?? { rows: 0, debits: 0n, credits: 0n, currency };
    t.rows += 1;
    if (CREDITS.has(type)) t.credits += scaled(amount);
    else t.debits += scaled(amount);
    this.tallies.set(transferId, t);
  }

  problems(): ReconciliationProblem[] {
    const out: ReconciliationProblem[] = [];
    for (const [id, t] of this.tallies) {
      if (t.rows !== 2 || t.debits !== t.credits) {
        out.push(
          problem('transfer_unbalanced', id, {
            rows: String(t.rows),
            debits: figure(unscaled(t.debits), t.currency),
            credits: figure(unscaled(t.credits), t.currency),
          }),
        );
      }
    }
    return out;
  }
}
