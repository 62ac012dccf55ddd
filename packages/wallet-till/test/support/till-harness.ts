import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTill, isTillError, type Till, type TillOptions } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import type { WalletServiceUnderTest } from './wallet-service.js';

/** The code of a refusal (the till's, the library's or the service's), or a failure of the test. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTillError(e) || (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string')) return (e as { code: string }).code;
    throw e;
  }
  throw new Error('expected a refusal');
}

/**
 * A till on a PGlite directory of its own, reaching the service through a TCP proxy the test cuts.
 * `restart()` closes it and opens the same directory again, as a new process would; `snapshot()`
 * copies the closed directory and `restoreSnapshot()` puts the copy back (a till restored from an
 * old copy of its database).
 */
export class TillUnderTest {
  till!: Till;
  private constructor(
    readonly dir: string,
    private readonly options: TillOptions,
  ) {}

  static async open(service: WalletServiceUnderTest, proxy: TcpProxy, options: Partial<TillOptions> = {}): Promise<TillUnderTest> {
    const dir = await mkdtemp(join(tmpdir(), 'till-'));
    const t = new TillUnderTest(dir, {
      tillId: 'till-1',
      dataDir: dir,
      server: { baseUrl: proxy.url, token: service.serviceToken },
      forwardTimeoutMs: 500,
      requestTimeoutMs: 3_000,
      ...options,
    });
    t.till = await createTill(t.options);
    return t;
  }

  async restart(): Promise<Till> {
    await this.till.close();
    this.till = await createTill(this.options);
    return this.till;
  }

  /** Another till process on a copy of this one's directory, taken now (this till is restarted to flush it). */
  async copy(): Promise<TillUnderTest> {
    await this.till.close();
    const dir = await mkdtemp(join(tmpdir(), 'till-copy-'));
    await cp(this.dir, dir, { recursive: true });
    this.till = await createTill(this.options);
    const other = new TillUnderTest(dir, { ...this.options, dataDir: dir });
    other.till = await createTill(other.options);
    return other;
  }

  async snapshot(): Promise<string> {
    await this.till.close();
    const dir = `${this.dir}.snapshot`;
    await cp(this.dir, dir, { recursive: true });
    this.till = await createTill(this.options);
    return dir;
  }

  async restoreSnapshot(snapshot: string): Promise<Till> {
    await this.till.close();
    await rm(this.dir, { recursive: true, force: true });
    await cp(snapshot, this.dir, { recursive: true });
    this.till = await createTill(this.options);
    return this.till;
  }

  async close(): Promise<void> {
    await this.till.close();
    await rm(this.dir, { recursive: true, force: true });
    await rm(`${this.dir}.snapshot`, { recursive: true, force: true });
  }
}

export { TcpProxy };
