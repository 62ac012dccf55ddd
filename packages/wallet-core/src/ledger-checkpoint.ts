/**
 * Signed checkpoints of the ledger's chain heads, published out of the database (the event
 * stream, and a file an operator names), so that a wallet's deleted tail is found against the last
 * head a checkpoint saw, and so that a routine reconciliation only walks what was written since.
 *
 * A reconciliation run publishes one after it has walked the ledger up to a position (`through`):
 * the head (last row id and hash) of every wallet that gained rows since the previous checkpoint
 * and verified cleanly, in parts of at most `CHECKPOINT_PART_SIZE` heads. Each part is signed
 * with the ledger key (HMAC-SHA-256 over its canonical text) and names the signature of the part
 * before it, so the checkpoints form a chain of their own: one removed from the middle is missed.
 */
import type { LedgerKeyring } from './ledger-chain.js';

export const CHECKPOINT_VERSION = 1 as const;
/** Most heads in one checkpoint part (one event, one line of the file). */
export const CHECKPOINT_PART_SIZE = 5000;
/**
 * How long after a run starts every transaction that had taken a ledger position by then has
 * ended (committed or rolled back): statements time out after seconds, so a minute is ample. A
 * position is "settled" once this much time has passed since a run saw it.
 */
export const SETTLE_MS = 60_000;

export interface CheckpointHead {
  readonly walletId: string;
  /** The wallet's last ledger row when the checkpoint was taken, and its hash. */
  readonly rowId: string;
  readonly hash: string;
}

export interface LedgerCheckpoint {
  readonly version: typeof CHECKPOINT_VERSION;
  readonly id: string;
  /** Shared by the parts of one checkpoint. */
  readonly run: string;
  /** When the run that took it started. */
  readonly at: string;
  readonly keyId: string;
  /** The signature of the checkpoint part before this one; null for the first. */
  readonly previous: string | null;
  /**
   * Every row at or before this position was walked, by this run or an earlier one, and settled:
   * the next routine run starts after it.
   */
  readonly through: string;
  /** The highest ledger position when the run started (it becomes `through` once settled). */
  readonly seen: string;
  /** The last position of the unkeyed past, as the store recorded it when the checkpoint was taken. */
  readonly unkeyedThrough: string;
  /** 1-based; a checkpoint of many wallets comes in several parts, each signed. */
  readonly part: number;
  readonly parts: number;
  readonly heads: readonly CheckpointHead[];
  readonly signature: string;
}

export type UnsignedCheckpoint = Omit<LedgerCheckpoint, 'signature' | 'keyId'>;

function canonical(c: Omit<LedgerCheckpoint, 'signature'>): string {
  return JSON.stringify([
    c.version,
    c.id,
    c.run,
    c.at,
    c.keyId,
    c.previous,
    c.through,
    c.seen,
    c.unkeyedThrough,
    c.part,
    c.parts,
    c.heads.map((h) => [h.walletId, h.rowId, h.hash]),
  ]);
}

export function signCheckpoint(keyring: LedgerKeyring, c: UnsignedCheckpoint): LedgerCheckpoint {
  const unsigned = { ...c, keyId: keyring.current };
  return { ...unsigned, signature: keyring.sign(canonical(unsigned)) };
}

/**
 * Where the next routine run may start: the previous checkpoint's `seen` once settled, else its
 * `through` (nothing before the first checkpoint).
 */
export function settledThrough(previous: LedgerCheckpoint | null, now: Date, settleMs = SETTLE_MS): string {
  if (previous === null) return '0';
  const settled = now.getTime() - Date.parse(previous.at) >= settleMs;
  return settled && BigInt(previous.seen) > BigInt(previous.through) ? previous.seen : previous.through;
}

/**
 * The parts of one checkpoint, signed and chained after `previous` (the latest part published so
 * far); one part, without heads, when no head changed, so that `through` still moves on.
 */
export function checkpointParts(
  keyring: LedgerKeyring,
  base: {
    readonly newId: () => string;
    readonly at: Date;
    readonly now: Date;
    readonly seen: string;
    readonly unkeyedThrough: string;
    readonly settleMs?: number | undefined;
  },
  heads: readonly CheckpointHead[],
  previous: LedgerCheckpoint | null,
): LedgerCheckpoint[] {
  const parts = Math.max(1, Math.ceil(heads.length / CHECKPOINT_PART_SIZE));
  const run = base.newId();
  const through = settledThrough(previous, base.now, base.settleMs);
  const out: LedgerCheckpoint[] = [];
  let before = previous?.signature ?? null;
  for (let i = 0; i < parts; i++) {
    const part = signCheckpoint(keyring, {
      version: CHECKPOINT_VERSION,
      id: base.newId(),
      run,
      at: base.at.toISOString(),
      previous: before,
      through,
      seen: base.seen,
      unkeyedThrough: base.unkeyedThrough,
      part: i + 1,
      parts,
      heads: heads.slice(i * CHECKPOINT_PART_SIZE, (i + 1) * CHECKPOINT_PART_SIZE),
    });
    out.push(part);
    before = part.signature;
  }
  return out;
}

/** What the published checkpoints say, once their signatures and their own chain are checked. */
export interface CheckpointRecord {
  /** The newest checkpoint part that verified, or null when none did. */
  readonly last: LedgerCheckpoint | null;
  /** Every wallet's latest checkpointed head, with the id of the checkpoint that named it. */
  readonly heads: ReadonlyMap<string, CheckpointHead & { readonly checkpoint: string }>;
  /** The heads of the newest checkpoint (all its parts): what a routine run checks still stand. */
  readonly lastHeads: readonly (CheckpointHead & { readonly checkpoint: string })[];
  /** Parts whose signature fails, or whose predecessor is not among the parts before them. */
  readonly broken: readonly { readonly id: string; readonly reason: string }[];
}

/**
 * Reads checkpoints in the order they were published. `fromLatest`: only the parts of the latest
 * checkpoint were given (a routine run), so the first of them has no predecessor to check.
 */
export function readCheckpoints(keyring: LedgerKeyring, published: readonly LedgerCheckpoint[], fromLatest = false): CheckpointRecord {
  const heads = new Map<string, CheckpointHead & { checkpoint: string }>();
  const broken: { id: string; reason: string }[] = [];
  let last: LedgerCheckpoint | null = null;
  let lastHeads: (CheckpointHead & { checkpoint: string })[] = [];
  for (const c of published) {
    const { signature, ...unsigned } = c;
    if (!keyring.signedBy(c.keyId, canonical(unsigned), signature)) {
      broken.push({ id: c.id, reason: keyring.has(c.keyId) ? 'its signature does not verify' : `signed with ${c.keyId}, a key the service does not hold` });
      continue;
    }
    if (c.previous !== (last?.signature ?? null) && !(fromLatest && last === null)) {
      broken.push({ id: c.id, reason: 'the checkpoint before it is missing' });
    }
    const named = c.heads.map((h) => ({ ...h, checkpoint: c.id }));
    for (const h of named) heads.set(h.walletId, h);
    lastHeads = last === null || last.run !== c.run ? named : [...lastHeads, ...named];
    last = c;
  }
  return { last, heads, lastHeads, broken };
}
