import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the Standard Webhooks signature verified with the receiver's secret. */
  verified: boolean;
  event: { id: string; type: string } & Record<string, unknown>;
}

/** A local webhook endpoint that verifies signatures and records what it accepted. */
export class WebhookReceiver {
  readonly accepted: Received[] = [];
  /** Answer 503 to this many requests before accepting again. */
  failNext = 0;
  /** Answer 503 to every delivery of an event this says yes to. */
  failWhen: ((event: Received['event']) => boolean) | null = null;
  /** How long it takes to answer each request. */
  delayMs = 0;
  /** The most requests it had in hand at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** Called for every accepted delivery (after recording it). */
  onAccepted: ((r: Received) => void) | null = null;
  private server: Server | null = null;
  private readonly verifier: Webhook;

  constructor(readonly secret: string) {
    this.verifier = new Webhook(secret);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.once('finish', () => (this.inFlight -= 1));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (this.delayMs > 0 ? setTimeout(answer, this.delayMs) : answer()));
      const answer = () => {
        if (this.failNext > 0) {
          this.failNext -= 1;
          res.writeHead(503).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const event = JSON.parse(body) as Received['event'];
        if (this.failWhen?.(event)) {
          res.writeHead(503).end();
          return;
        }
        let verified = false;
        try {
          this.verifier.verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
        const r: Received = { headers: req.headers, body, verified, event };
        this.accepted.push(r);
        res.writeHead(204).end();
        this.onAccepted?.(r);
      };
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/hooks`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Whether a TCP server (a broker) answers at the URL's host and port within a second. */
export async function reachable(url: string, defaultPort = 5672): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = netConnect({ host: u.hostname, port: Number(u.port || defaultPort) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** A fresh Standard Webhooks secret. */
export function newSecret(): string {
  return `whsec_${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`;
}

export async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Positions as a sink received them must be every expected position, in order, where the only
 * repeats are one contiguous re-delivery after a crash (the batch whose position was not yet saved).
 */
export function assertInOrderWithCrashDuplicates(received: readonly string[], expected: readonly string[]): { rewinds: number } {
  let rewinds = 0;
  const seen = new Set<string>();
  for (let i = 1; i < received.length; i++) {
    if (BigInt(received[i] as string) <= BigInt(received[i - 1] as string)) rewinds += 1;
  }
  for (let i = 0; i < received.length; i++) {
    const p = received[i] as string;
    if (seen.has(p) && rewinds === 0) throw new Error(`position ${p} delivered twice without a crash`);
    seen.add(p);
  }
  if (rewinds > 1) throw new Error(`positions went back ${rewinds} times: ${received.join(',')}`);
  const unique = [...seen].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  if (unique.join(',') !== [...expected].join(','))
    throw new Error(`delivered positions differ from the outbox: got ${unique.length}, expected ${expected.length}`);
  return { rewinds };
}
