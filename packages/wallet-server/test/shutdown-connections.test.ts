import { connect, type Socket } from 'node:net';
import { WalletService } from '@goodgo/wallet-core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { mintToken } from '../src/token.js';

const SECRET = 'shutdown-test-secret-0123456789-abcdefghij';
const SHUTDOWN_TIMEOUT_MS = 4000;

/** A raw HTTP/1.1 connection: what was sent, what came back, and when the server ended it. */
class RawConnection {
  received = '';
  readonly ended: Promise<number>;
  private readonly socket: Socket;

  constructor(url: string) {
    const { port } = new URL(url);
    this.socket = connect(Number(port), '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => (this.received += d));
    this.socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now())));
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Resolves once `count` complete responses (Content-Length bodies) have arrived. */
  async responses(count: number, timeoutMs = 5000): Promise<{ status: number; headers: string; body: string }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponses(this.received);
      if (parsed.length >= count) return parsed;
      if (Date.now() > deadline) throw new Error(`${parsed.length} of ${count} responses within ${timeoutMs} ms:\n${this.received}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function parseResponses(text: string): { status: number; headers: string; body: string }[] {
  const out: { status: number; headers: string; body: string }[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const headers = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({ status: Number(headers.slice(9, 12)), headers: headers.toLowerCase(), body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

function request(method: string, path: string, token: string, body?: string): string {
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${token}`, 'Connection: keep-alive'];
  if (body !== undefined) head.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${head.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

describe('shutdown (SIGTERM) and the connections it finds', () => {
  let server: RunningServer | undefined;
  const connections: RawConnection[] = [];
  afterEach(async () => {
    for (const c of connections) c.destroy();
    connections.length = 0;
    await server?.close();
    server = undefined;
  });

  async function start(): Promise<{ server: RunningServer; token: string; walletId: string; service: WalletService }> {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      WALLET_DATA_DIR: 'memory://',
      JWT_SECRET: SECRET,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      LOG_LEVEL: 'silent',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    await server.ready;
    const service = new WalletService({ store: server.store });
    const wallet = await service.createWallet({ userId: 'shutdown' });
    const token = await mintToken({ sub: 'till', roles: ['service'], secret: SECRET });
    return { server, token, walletId: wallet.id, service };
  }

  function open(url: string): RawConnection {
    const c = new RawConnection(url);
    connections.push(c);
    return c;
  }

  it('finishes answering a request it has begun reading, closes idle keep-alive connections first, and takes no more on the busy one', async () => {
    const { server: s, token, walletId, service } = await start();
    // An idle keep-alive connection: one request answered, then nothing.
    const idle = open(s.url);
    idle.send(request('GET', `/api/v1/wallets/${walletId}`, token));
    expect((await idle.responses(1))[0]?.status).toBe(200);
    // A deposit whose headers and half its body have arrived when SIGTERM comes.
    const busy = open(s.url);
    const body = JSON.stringify({ walletId, amount: '700' });
    const whole = request('POST', '/api/v1/wallets/deposit', token, body);
    busy.send(whole.slice(0, whole.length - 10));
    await new Promise((r) => setTimeout(r, 100));

    const began = Date.now();
    const closing = s.close();
    // The idle connection goes at once.
    expect((await idle.ended) - began).toBeLessThan(1000);
    // The rest of the deposit arrives; it is answered, with Connection: close, and nothing after it
    // is taken on that connection.
    busy.send(whole.slice(whole.length - 10));
    const [answer] = await busy.responses(1);
    expect(answer?.status).toBe(200);
    expect(answer?.headers).toContain('connection: close');
    expect((await busy.ended) - began).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
    await closing;
    // Drained by the answers, not cut by the timeout.
    expect(Date.now() - began).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
    expect(JSON.parse(answer?.body ?? '{}').wallet.balance).toBe('700');
    server = undefined;
    await expect(service.getWallet({ walletId })).rejects.toThrow();
  });

  it('ends open event streams at once, while an in-flight command still drains', async () => {
    const { server: s, token, walletId } = await start();
    const stream = open(s.url);
    stream.send([`GET /api/v1/wallets/events HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${token}`, 'Accept: text/event-stream', '', ''].join('\r\n'));
    for (let i = 0; i < 100 && !stream.received.includes('WalletCreated'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(stream.received).toContain('text/event-stream');
    const busy = open(s.url);
    const whole = request('POST', '/api/v1/wallets/deposit', token, JSON.stringify({ walletId, amount: '5' }));
    busy.send(whole.slice(0, whole.length - 3));
    await new Promise((r) => setTimeout(r, 100));

    const began = Date.now();
    const closing = s.close();
    expect((await stream.ended) - began).toBeLessThan(1000);
    busy.send(whole.slice(whole.length - 3));
    expect((await busy.responses(1))[0]?.status).toBe(200);
    await closing;
    server = undefined;
    expect(Date.now() - began).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
  });
});
