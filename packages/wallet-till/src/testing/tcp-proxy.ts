import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** How the proxy treats traffic: through, refused, swallowed, or through one way with the answers lost. */
export type ProxyMode = 'pass' | 'cut' | 'blackhole' | 'drop-answers';

/**
 * A TCP proxy on 127.0.0.1 standing for a till's network: `cut()` resets every connection and
 * refuses new ones' traffic (the request never arrives), `blackhole()` accepts and swallows
 * everything (the request never arrives and nothing comes back), `dropAnswers()` lets requests
 * through to the service and loses what it answers (the service commits, the till never hears),
 * and `restore()` lets traffic through again. Node only: for tests and demos.
 */
export class TcpProxy {
  private mode: ProxyMode = 'pass';
  private readonly pairs = new Set<Pair>();
  /** Connections that reached the service (in pass or drop-answers mode). */
  forwarded = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host?: string; port: number },
  ) {}

  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  /** Resets every connection; new ones are reset as they come. */
  cut(): void {
    this.mode = 'cut';
    for (const pair of this.pairs) pair.close();
  }

  /** Everything sent is swallowed and nothing comes back, on open connections too. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) pair.silence();
  }

  /** Requests reach the service; the first answer on each connection resets it instead of arriving. */
  dropAnswers(): void {
    this.mode = 'drop-answers';
    for (const pair of this.pairs) pair.dropping = true;
  }

  /** Traffic flows again. A black-holed connection stays dead (its request is lost): it is reset. */
  restore(): void {
    this.mode = 'pass';
    for (const pair of this.pairs) {
      if (pair.upstream) pair.dropping = false;
      else pair.close();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) pair.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const pair = new Pair(client);
    this.pairs.add(pair);
    client.on('close', () => {
      pair.close();
      this.pairs.delete(pair);
    });
    if (this.mode === 'blackhole') {
      pair.silence();
      return;
    }
    pair.dropping = this.mode === 'drop-answers';
    pair.connect(this.target);
    this.forwarded += 1;
  }
}

/** One client connection and, unless black-holed, its connection to the service. */
class Pair {
  upstream: Socket | null = null;
  dropping = false;

  constructor(readonly client: Socket) {}

  connect(target: { host?: string; port: number }): void {
    const upstream = connect({ host: target.host ?? '127.0.0.1', port: target.port });
    this.upstream = upstream;
    upstream.on('error', () => this.close());
    upstream.on('close', () => this.close());
    this.client.on('data', (chunk: Buffer) => {
      if (this.upstream === upstream) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The service has answered, so it has committed: the answer is lost on the way back.
      if (this.dropping) this.close();
      else this.client.write(chunk);
    });
  }

  silence(): void {
    this.upstream?.destroy();
    this.upstream = null;
    this.client.resume();
  }

  close(): void {
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream?.destroy();
  }
}
