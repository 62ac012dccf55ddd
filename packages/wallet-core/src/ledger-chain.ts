/**
 * The keyed hash chain of each wallet's ledger. Every ledger row stores
 * `hash = HMAC-SHA-256(key, previous row's hash + "\n" + canonical content)`, hex, under a key the
 * service holds and the database never does (`WALLET_LEDGER_KEY`), and the id of that key. The
 * writer computes it from the wallet's chain head, which the wallet row keeps, so a write costs
 * one HMAC in the process and no lookup in the database; reconciliation recomputes it with the
 * same canonical encoder over the rows as the database returns them. Someone who can write the
 * database but does not hold the key cannot make an edited row verify.
 *
 * Rows written before the chain was keyed keep their unkeyed SHA-256 (key id null) and are checked
 * by the SQL function that wrote them; a keyed row may follow them, never the other way round.
 */
import { canonicalJson } from './idempotency.js';
import { hmacSha256Hex, macKey, sameDigest, sha256Hex, type MacKey } from './chain-hash.js';
import { ledgerRowText, type WalletTransaction } from './wallet/ledger.js';

/**
 * What the chain covers of a ledger row, as text, the way a database hands it back: the row's own
 * columns and the identity of its wallet (owner and currency), so that a wallet moved to another
 * user or currency breaks every row of it.
 */
export interface ChainedRow {
  readonly id: string;
  readonly walletId: string;
  readonly userId: string;
  readonly currency: string;
  readonly type: string;
  /** A decimal; trailing fraction zeros do not matter ("12.50" and "12.5" encode alike). */
  readonly amount: string;
  readonly balanceAfter: string;
  readonly description: string | null;
  readonly reference: string | null;
  readonly transferId: string | null;
  readonly holdId: string | null;
  readonly refundOf: string | null;
  readonly actorSub: string | null;
  readonly actorRole: string | null;
  /** Microseconds since the Unix epoch, as a decimal integer. */
  readonly createdAtMicros: string;
  /** The business time of an offline sale, in microseconds, as stored: null when it is `createdAt`. */
  readonly occurredAtMicros: string | null;
  readonly allowanceId: string | null;
  readonly allowanceSeq: string | null;
  /** A split payment's points row. */
  readonly pairedWith: string | null;
  /** The row's metadata as canonical JSON (`canonicalMetadata`), null when it has none. */
  readonly metadata: string | null;
}

/**
 * Metadata as the chain covers it: JSON with its keys sorted, whatever order a database hands them
 * back in; a database's JSON text is read first. Anything stored is encoded as it is, so an edited
 * value fails the chain rather than the read.
 */
export function canonicalMetadata(metadata: unknown): string | null {
  if (metadata === null || metadata === undefined) return null;
  return canonicalJson(typeof metadata === 'string' ? JSON.parse(metadata) : metadata);
}

/** A decimal without the fraction zeros a database may keep or drop ("12.50" → "12.5", "3.00" → "3"). */
export function canonicalDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

/** The bytes the MAC covers, after the previous hash: one JSON array, in this order, versioned by the key id it names. */
export function canonicalRow(row: ChainedRow, keyId: string): string {
  return JSON.stringify([
    'v1',
    keyId,
    row.walletId,
    row.userId,
    row.currency,
    row.id,
    row.type,
    canonicalDecimal(row.amount),
    canonicalDecimal(row.balanceAfter),
    row.description,
    row.reference,
    row.transferId,
    row.holdId,
    row.refundOf,
    row.actorSub,
    row.actorRole,
    row.createdAtMicros,
    row.occurredAtMicros,
    row.allowanceId,
    row.allowanceSeq,
    // Only on rows that have one, so that every row written before it keeps the bytes it was chained with.
    ...(row.pairedWith === null && row.metadata === null ? [] : [row.pairedWith]),
    ...(row.metadata === null ? [] : [row.metadata]),
  ]);
}

const micros = (d: Date): string => (BigInt(d.getTime()) * 1000n).toString();

/** A domain ledger row as the chain covers it. */
export function chainedRowOf(t: WalletTransaction, wallet: { readonly userId: string; readonly currencyCode: string }): ChainedRow {
  // Object.assign rather than a spread, which V8 copies slowly (see walletTransactionView).
  return Object.assign(ledgerRowText(t), {
    userId: wallet.userId,
    currency: wallet.currencyCode,
    actorSub: t.actor?.sub ?? null,
    actorRole: t.actor?.role ?? null,
    createdAtMicros: micros(t.createdAt),
    occurredAtMicros: t.occurredAt.getTime() === t.createdAt.getTime() ? null : micros(t.occurredAt),
    allowanceId: t.allowanceId,
    allowanceSeq: t.allowanceSeq === null ? null : String(t.allowanceSeq),
    pairedWith: t.pairedWith,
    metadata: canonicalMetadata(t.metadata),
  });
}

export interface LedgerKey {
  /** Stored on every row it keys: 1–32 letters, digits, `-`, `_` or `.`. */
  readonly id: string;
  readonly secret: string;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
/** The shortest secret accepted: 128 bits of hex or 22 of base64, or a longer passphrase. */
const MIN_SECRET_LENGTH = 16;

/**
 * The keys of the chain: the first keys new rows and checkpoints, all of them verify (rotation:
 * put the new key first and keep the old ones for as long as rows or checkpoints name them).
 */
export class LedgerKeyring {
  private readonly keys: ReadonlyMap<string, MacKey>;
  /** The key new rows get. */
  readonly current: string;
  /** Whether this is the built-in development key, which protects nothing. */
  readonly development: boolean;

  constructor(keys: readonly LedgerKey[], options: { development?: boolean } = {}) {
    const [first] = keys;
    if (first === undefined) throw new TypeError('a ledger keyring needs at least one key');
    const map = new Map<string, MacKey>();
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new TypeError(`ledger key id ${JSON.stringify(k.id)} must be 1-32 letters, digits, '.', '-' or '_'`);
      if (k.secret.length < MIN_SECRET_LENGTH) throw new TypeError(`ledger key ${k.id} is shorter than ${MIN_SECRET_LENGTH} characters`);
      if (map.has(k.id)) throw new TypeError(`ledger key id ${k.id} is named twice`);
      map.set(k.id, macKey(k.secret));
    }
    this.keys = map;
    this.current = first.id;
    this.development = options.development === true;
  }

  /**
   * `WALLET_LEDGER_KEY`: comma-separated keys, the first current, each `id:secret`, or a bare
   * secret whose id is derived from it (the first 12 hex digits of its SHA-256, which says nothing
   * of the secret).
   */
  static parse(text: string): LedgerKeyring {
    const keys = text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map((part): LedgerKey => {
        const colon = part.indexOf(':');
        if (colon > 0 && KEY_ID.test(part.slice(0, colon))) return { id: part.slice(0, colon), secret: part.slice(colon + 1) };
        return { id: `k${sha256Hex(part).slice(0, 12)}`, secret: part };
      });
    return new LedgerKeyring(keys);
  }

  /** A fixed, published key for development and tests: rows chain, but anyone can recompute them. */
  static developmentKey(): LedgerKeyring {
    return new LedgerKeyring([{ id: 'dev', secret: 'goodgo-wallet-development-ledger-key' }], { development: true });
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  private mac(keyId: string, text: string): string {
    const key = this.keys.get(keyId);
    if (key === undefined) throw new TypeError(`unknown ledger key ${keyId}`);
    return hmacSha256Hex(key, text);
  }

  /** The hash of a row that follows `previous` (null for a wallet's first row), under the current key. */
  link(previous: string | null, row: ChainedRow): string {
    return this.mac(this.current, `${previous ?? ''}\n${canonicalRow(row, this.current)}`);
  }

  /** Whether `hash` is the row's hash after `previous` under the key it names; false for a key not held. */
  verify(previous: string | null, row: ChainedRow, keyId: string, hash: string): boolean {
    if (!this.keys.has(keyId)) return false;
    return sameDigest(this.mac(keyId, `${previous ?? ''}\n${canonicalRow(row, keyId)}`), hash);
  }

  /** A signature over a checkpoint's canonical text, under the current key. */
  sign(text: string): string {
    return this.mac(this.current, `checkpoint\n${text}`);
  }

  signedBy(keyId: string, text: string, signature: string): boolean {
    return this.keys.has(keyId) && sameDigest(this.mac(keyId, `checkpoint\n${text}`), signature);
  }
}

/** A keyed row's hash as stored. */
export interface RowLink {
  readonly hash: string;
  readonly keyId: string;
}

/**
 * The writer's half: links rows onto their wallets' heads in the order they are written. Heads
 * start as loaded from the locked wallet rows (null for a wallet without rows).
 */
export class ChainWriter {
  private readonly heads = new Map<string, string | null>();

  constructor(
    private readonly keyring: LedgerKeyring,
    private readonly loaded: (walletId: string) => string | null,
  ) {}

  link(row: ChainedRow): RowLink {
    const previous = this.headOf(row.walletId);
    const hash = this.keyring.link(previous, row);
    this.heads.set(row.walletId, hash);
    return { hash, keyId: this.keyring.current };
  }

  /** The wallet's head after the rows linked so far: the loaded head when none was linked for it. */
  headOf(walletId: string): string | null {
    return this.heads.has(walletId) ? (this.heads.get(walletId) ?? null) : this.loaded(walletId);
  }
}
