import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { LocalBooks } from '../../src/local-books.js';
import { createTill, type Allowance, type Clocks, type Till, type TillOptions } from '../../src/index.js';

/** Clocks a test moves by hand: the wall clock alone (set back, set forward), or both as time passing. */
export class ManualClocks implements Clocks {
  constructor(
    public wall = Date.parse('2026-12-07T08:00:00Z'),
    public monotonic = 1_000,
  ) {}
  wallNow(): number {
    return this.wall;
  }
  monotonicNow(): number {
    return this.monotonic;
  }
  /** Time passes while the till runs. */
  pass(ms: number): void {
    this.wall += ms;
    this.monotonic += ms;
  }
  /** A new process: its monotonic clock starts over from an arbitrary origin. */
  restart(): void {
    this.monotonic = 7;
  }
}

/** A URL where nothing listens: the till's requests are refused at once, as with the network down. */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const WALLET = '6f1c2c9e-4a53-4f7e-9d38-0f4f5a7c1b01';

/** An allowance as the service answers on opening one (the till's database keeps it as given). */
export function openedAllowance(over: Partial<Allowance> = {}): Allowance {
  const createdAt = '2026-12-07T08:00:00.000Z';
  return {
    id: '0b7e1f7a-8f8e-4c55-a1c4-6a2f0d9e3c11',
    walletId: WALLET,
    tillId: 'till-1',
    amount: '500000',
    spentAmount: '0',
    spendCount: 0,
    lastSeq: 0,
    status: 'active',
    spendUntil: '2026-12-07T20:00:00.000Z',
    settleBy: '2026-12-10T20:00:00.000Z',
    maxSpendAmount: null,
    maxSpends: null,
    createdAt,
    updatedAt: createdAt,
    ...over,
  };
}

/**
 * A till whose network is down from the start, holding an allowance it received earlier: its
 * database gets the allowance exactly as `provision` writes it, window measured from the till
 * clock's current reading.
 */
export async function offlineTill(
  db: PGliteInterface,
  options: { allowance?: Partial<Allowance>; currency?: string; clocks?: Clocks; windowMs?: number; till?: Partial<TillOptions> } = {},
): Promise<Till> {
  const allowance = openedAllowance(options.allowance);
  const books = new LocalBooks(db);
  await books.migrate();
  const till = await createTill({
    tillId: 'till-1',
    db,
    server: { baseUrl: await unreachableUrl(), token: 't' },
    ...(options.clocks ? { clocks: options.clocks } : {}),
    ...options.till,
  });
  if (!(await books.allowance(allowance.id))) {
    const windowMs = options.windowMs ?? Date.parse(allowance.spendUntil) - Date.parse(allowance.createdAt);
    const { rows } = await db.query<{ elapsed_ms: bigint }>('SELECT elapsed_ms FROM till_clock');
    await books.insertAllowance({ server: allowance, currency: options.currency ?? 'VND', windowStartMs: Number(rows[0]?.elapsed_ms ?? 0), windowMs });
    await till.reload();
  }
  return till;
}

export async function freshDb(): Promise<PGlite> {
  return PGlite.create();
}
