import { describe, expect, it } from 'vitest';
import { ReadBatches } from '../src/read-batches.js';

/** A statement that answers when told to, and remembers the keys of every batch it was sent. */
function pendingStatement() {
  const sent: number[][] = [];
  const answers: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const send = (inputs: readonly number[]) => {
    sent.push([...inputs]);
    return new Promise<number[]>((resolve, reject) => answers.push({ resolve: () => resolve(inputs.map((i) => i * 10)), reject }));
  };
  return { sent, answers, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('reads batched while others are on their way', () => {
  it('sends a lone read at once, and the reads that arrive while the limit is out together when one returns', async () => {
    const s = pendingStatement();
    const reads = new ReadBatches(s.send, { maxInFlight: 2, maxBatchSize: 128 });
    const first = reads.read(1);
    const second = reads.read(2);
    expect(s.sent).toEqual([[1], [2]]);
    const waiting = [3, 4, 5].map((k) => reads.read(k));
    await tick();
    expect(s.sent).toHaveLength(2);
    s.answers[0]?.resolve();
    expect(await first).toBe(10);
    await tick();
    expect(s.sent).toEqual([[1], [2], [3, 4, 5]]);
    s.answers[1]?.resolve();
    s.answers[2]?.resolve();
    expect(await second).toBe(20);
    expect(await Promise.all(waiting)).toEqual([30, 40, 50]);
  });

  it('splits a queue longer than the largest batch', async () => {
    const s = pendingStatement();
    const reads = new ReadBatches(s.send, { maxInFlight: 1, maxBatchSize: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((k) => reads.read(k));
    for (let i = 0; i < 4; i++) {
      await tick();
      s.answers[i]?.resolve();
    }
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(s.sent).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('fails every read of a failed batch with its error, and only those: the next batch goes', async () => {
    const s = pendingStatement();
    const reads = new ReadBatches(s.send, { maxInFlight: 1, maxBatchSize: 128 });
    const lone = reads.read(1);
    const batched = [2, 3].map((k) => reads.read(k));
    const gone = new Error('connection lost');
    s.answers[0]?.reject(gone);
    await expect(lone).rejects.toBe(gone);
    await tick();
    s.answers[1]?.reject(gone);
    for (const r of batched) await expect(r).rejects.toBe(gone);
    const after = reads.read(4);
    await tick();
    s.answers[2]?.resolve();
    expect(await after).toBe(40);
  });

  it('with a stagger, a second statement waits until the first has been out that long', async () => {
    const s = pendingStatement();
    const reads = new ReadBatches(s.send, { maxInFlight: 2, maxBatchSize: 128, staggerMs: 40 });
    const first = reads.read(1);
    const queued = [2, 3, 4].map((k) => reads.read(k));
    await tick();
    expect(s.sent).toEqual([[1]]);
    // The first is held up (its connection lost, say): the reads behind it leave after the stagger, not after it.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(s.sent).toEqual([[1], [2, 3, 4]]);
    s.answers[1]?.resolve();
    expect(await Promise.all(queued)).toEqual([20, 30, 40]);
    s.answers[0]?.resolve();
    expect(await first).toBe(10);
  });

  it('with a stagger, a second statement leaves at once when enough reads wait, and a lone read never waits', async () => {
    const s = pendingStatement();
    const reads = new ReadBatches(s.send, { maxInFlight: 2, maxBatchSize: 128, staggerMs: 60_000, staggerReads: 3 });
    const first = reads.read(1);
    const two = [2, 3].map((k) => reads.read(k));
    await tick();
    expect(s.sent).toEqual([[1]]);
    const third = reads.read(4);
    expect(s.sent).toEqual([[1], [2, 3, 4]]);
    s.answers[0]?.resolve();
    s.answers[1]?.resolve();
    expect(await Promise.all([first, ...two, third])).toEqual([10, 20, 30, 40]);
    // Nothing out: the next read leaves at once, whatever the stagger.
    const lone = reads.read(5);
    expect(s.sent).toEqual([[1], [2, 3, 4], [5]]);
    s.answers[2]?.resolve();
    expect(await lone).toBe(50);
  });

  it('refuses an answer that does not answer every read', async () => {
    const reads = new ReadBatches<number, number>(async (inputs) => inputs.slice(1), { maxInFlight: 1, maxBatchSize: 8 });
    await expect(reads.read(1)).rejects.toThrow(/a read batch of 1 was answered with 0/);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new ReadBatches(async () => [], { maxInFlight: 0, maxBatchSize: 8 })).toThrow(TypeError);
    expect(() => new ReadBatches(async () => [], { maxInFlight: 1, maxBatchSize: 1.5 })).toThrow(TypeError);
    expect(() => new ReadBatches(async () => [], { maxInFlight: 1, maxBatchSize: 8, staggerMs: -1 })).toThrow(TypeError);
  });
});
