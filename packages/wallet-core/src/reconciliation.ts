/**
 * What reconciliation reports: every check of the contract ("Reading the books"), each finding
 * named by its kind and the id of the wallet, ledger row, transfer or account it concerns.
 */

export const RECONCILIATION_KINDS = [
  /** A wallet's balance is not the sum of its ledger. id: wallet. */
  'balance_mismatch',
  /** A ledger row's balanceAfter does not follow from the previous row and its amount. id: ledger row. */
  'balance_after_mismatch',
  /** A ledger row's hash does not match its content and its predecessor's hash (edited, or a row before it removed). id: ledger row. */
  'hash_mismatch',
  /** A transfer's rows do not balance (not exactly one debit and one credit of one amount). id: transfer. */
  'transfer_unbalanced',
  /** A point account's available or pending points differ from its lots. id: point account. */
  'points_mismatch',
  /** A wallet's stored held amount differs from the sum of its holds stored as active. id: wallet. */
  'held_mismatch',
  /** A points ledger row's balanceAfter does not follow from the previous row of its account and its points. id: points ledger row. */
  'points_balance_after_mismatch',
] as const;

export type ReconciliationKind = (typeof RECONCILIATION_KINDS)[number];

export interface ReconciliationProblem {
  kind: ReconciliationKind;
  id: string;
  detail: string;
}

/** What a store finds; the facade adds `ok` and `checkedAt`. */
export interface ReconciliationFindings {
  wallets: number;
  pointAccounts: number;
  ledgerRows: number;
  problems: ReconciliationProblem[];
}

export interface ReconciliationReport extends ReconciliationFindings {
  ok: boolean;
  checkedAt: string;
}

/** Points ledger types that leave available points as they were (pending points come and go). */
export const POINTS_NOT_AVAILABLE_TYPES: readonly string[] = ['pending', 'cancel'];
