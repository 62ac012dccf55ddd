/**
 * Reads of one kind that arrive while others of their kind are on their way leave together, as
 * one statement over all their keys. @internal
 *
 * A lone read leaves at once (no timer, no wait); a read that finds `maxInFlight` statements of
 * its kind out waits for the first to return and leaves with every read that queued meanwhile.
 * Under load, a round trip (a write to the database's socket, a wake-up of its backend, a read of
 * the answer) is then paid once per batch instead of once per read: measured, it was most of a
 * read's cost.
 *
 * With `staggerMs`, a statement is not joined by another of its kind until it has been out that
 * long or `staggerReads` reads wait: batches are larger (a statement costs the Node process far
 * more than a row of it), and enough wait to keep the process busy while the first is answered;
 * a statement held up (its connection lost in a failover) holds up the reads behind it no longer
 * than `staggerMs`.
 *
 * A read sees every change committed before it was asked for: its statement starts after the read
 * was queued, never joining one already sent.
 */
export interface ReadBatchOptions {
  /** Statements of this kind out at once, each on a connection of its own. */
  readonly maxInFlight: number;
  /** Most reads in one statement. */
  readonly maxBatchSize: number;
  /** How long the last statement sent is out before another of its kind may join it. Default 0: at once. */
  readonly staggerMs?: number | undefined;
  /** Or how many reads wait before another may join it, whatever its time. Default: `maxBatchSize`. */
  readonly staggerReads?: number | undefined;
}

interface Waiting<I, O> {
  readonly input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class ReadBatches<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  /** When the last statement left (performance.now()). */
  private lastSent = 0;
  /** Set while reads wait out the stagger with a statement out: pumps again when it has passed. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly staggerMs: number;
  private readonly staggerReads: number;

  /** `send` answers every input of a batch, in the order given; when it fails, every read of the batch fails with its error. */
  constructor(
    private readonly send: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly options: ReadBatchOptions,
  ) {
    for (const name of ['maxInFlight', 'maxBatchSize'] as const) {
      const value = options[name];
      if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${value}`);
    }
    this.staggerMs = options.staggerMs ?? 0;
    this.staggerReads = options.staggerReads ?? options.maxBatchSize;
    if (!Number.isSafeInteger(this.staggerReads) || this.staggerReads < 1)
      throw new TypeError(`staggerReads must be a positive integer, got ${options.staggerReads}`);
    if (!Number.isFinite(this.staggerMs) || this.staggerMs < 0) throw new TypeError(`staggerMs must be a non-negative number, got ${options.staggerMs}`);
  }

  read(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      if (this.inFlight > 0 && this.staggerMs > 0 && this.queue.length < this.staggerReads) {
        const left = this.lastSent + this.staggerMs - performance.now();
        if (left > 0) {
          if (this.timer === undefined) {
            this.timer = setTimeout(() => {
              this.timer = undefined;
              this.pump();
            }, Math.ceil(left));
            // The statement out holds the process open while reads wait; the timer alone must not (a closed store).
            (this.timer as { unref?: () => void }).unref?.();
          }
          return;
        }
      }
      this.lastSent = performance.now();
      const batch = this.queue.length <= this.options.maxBatchSize ? this.queue : this.queue.slice(0, this.options.maxBatchSize);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: readonly Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.send(batch.map((w) => w.input));
      if (outputs.length !== batch.length) throw new Error(`a read batch of ${batch.length} was answered with ${outputs.length}`);
      batch.forEach((w, i) => w.resolve(outputs[i] as O));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
