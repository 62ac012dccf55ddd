/**
 * Reads by key that coalesce: a read asked for while one is in flight joins the next, and that one
 * statement reads every key asked for meanwhile (the resolve step's prefetch, so that 64 captures
 * cost two reads of their holds, not 64). A lone read leaves at once. @internal
 */
export class CoalescedReads<V> {
  private pending = new Map<string, { resolve(value: V | null): void; reject(error: unknown): void }[]>();
  private inFlight = false;

  /** `read` returns what it found by key; a key it does not return reads as null. */
  constructor(private readonly read: (keys: string[]) => Promise<Map<string, V>>) {}

  load(key: string): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.inFlight) void this.send();
    });
  }

  private async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight = true;
    try {
      const found = await this.read([...batch.keys()]);
      for (const [key, waiting] of batch) for (const w of waiting) w.resolve(found.get(key) ?? null);
    } catch (e) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(e);
    } finally {
      this.inFlight = false;
      void this.send();
    }
  }
}
