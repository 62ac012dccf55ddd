import type { PGliteInterface, Transaction } from '@electric-sql/pglite';

/** The two clocks a till reads; tests pass their own to move the wall clock. */
export interface Clocks {
  /** Wall-clock milliseconds since the epoch (`Date.now`): business time, and time while stopped. */
  wallNow(): number;
  /** A monotonic millisecond reading (`performance.now`): time while running. */
  monotonicNow(): number;
}

export const systemClocks: Clocks = { wallNow: () => Date.now(), monotonicNow: () => performance.now() };

/**
 * Longer than any allowance's window (at most 7 days): what a restart counts as the time the till
 * was stopped when its wall clock reads earlier than the last checkpoint, so that time cannot be
 * measured. Every window then ends: a clock set back never buys more selling time.
 */
export const UNMEASURABLE_DOWNTIME_MS = 8 * 24 * 3_600_000;

/**
 * The till's own measure of time, which never runs backwards and survives restarts: milliseconds
 * the till has existed, advanced by the monotonic clock while it runs and, across a restart, by the
 * wall-clock time since the last checkpoint (never by less than nothing). Windows are measured on
 * it, so neither a wall clock set back nor a restart extends one.
 */
export class TillClock {
  private constructor(
    private readonly clocks: Clocks,
    private readonly baseElapsed: number,
    private readonly baseMonotonic: number,
  ) {}

  static async open(db: PGliteInterface | Transaction, clocks: Clocks): Promise<TillClock> {
    const wall = clocks.wallNow();
    const monotonic = clocks.monotonicNow();
    const { rows } = await db.query<{ elapsed_ms: number | bigint; wall_ms: number | bigint }>('SELECT elapsed_ms, wall_ms FROM till_clock');
    const last = rows[0];
    let elapsed = 0;
    if (last) {
      const stopped = wall - Number(last.wall_ms);
      elapsed = Number(last.elapsed_ms) + (stopped >= 0 ? stopped : UNMEASURABLE_DOWNTIME_MS);
    }
    const clock = new TillClock(clocks, elapsed, monotonic);
    await clock.checkpoint(db);
    return clock;
  }

  /** The till clock now, in milliseconds. */
  now(): number {
    return this.baseElapsed + Math.max(0, this.clocks.monotonicNow() - this.baseMonotonic);
  }

  /** The wall clock now: what a sale records as its business time. */
  wallNow(): number {
    return this.clocks.wallNow();
  }

  /** Both readings as they go into a checkpoint row. */
  reading(): { elapsedMs: number; wallMs: number } {
    return { elapsedMs: Math.floor(this.now()), wallMs: Math.floor(this.clocks.wallNow()) };
  }

  async checkpoint(db: PGliteInterface | Transaction): Promise<void> {
    const { elapsedMs, wallMs } = this.reading();
    await db.query(
      `INSERT INTO till_clock (id, elapsed_ms, wall_ms) VALUES (true, $1, $2)
       ON CONFLICT (id) DO UPDATE SET elapsed_ms = GREATEST(till_clock.elapsed_ms, EXCLUDED.elapsed_ms), wall_ms = EXCLUDED.wall_ms`,
      [elapsedMs, wallMs],
    );
  }
}
