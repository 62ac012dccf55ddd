import { freshDatabase } from '@goodgo/wallet-pg/testing';
import { loadConfig, mintToken, startServer, type RunningServer } from '@goodgo/wallet-server';
import { pino } from 'pino';

/** The PostgreSQL server the suite may create databases on; the PostgreSQL runs skip without it. */
export const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
if (!adminUrl) console.log('[wallet-till] the service on PostgreSQL is skipped: WALLET_TEST_DATABASE_URL is not set (bash .ci/run sets it up).');

/** Where the wallet service keeps its books in a run: PGlite always, PostgreSQL when the suite has one. */
export const BACKENDS: readonly ('PGlite' | 'PostgreSQL')[] = adminUrl ? ['PGlite', 'PostgreSQL'] : ['PGlite'];

export interface Api {
  status: number;
  body: any;
}

/** The real wallet service on a free port of 127.0.0.1, with tokens for the till (service), an admin and customers. */
export interface WalletServiceUnderTest {
  url: string;
  port: number;
  serviceToken: string;
  adminToken: string;
  /** A request straight to the service (not through any proxy), as the given token. */
  call(method: string, path: string, token: string, body?: unknown, key?: string): Promise<Api>;
  /** A customer with a funded wallet: its id and a token of its own. */
  customer(userId: string, funds: string): Promise<{ walletId: string; token: string }>;
  wallet(walletId: string): Promise<{ balance: string; heldAmount: string; availableBalance: string; status: string }>;
  /** The wallet's ledger, oldest first. */
  ledger(walletId: string): Promise<
    {
      id: string;
      type: string;
      amount: string;
      balanceAfter: string;
      allowanceId: string | null;
      allowanceSeq: number | null;
      occurredAt: string;
      reference: string | null;
      metadata: Record<string, string> | null;
    }[]
  >;
  close(): Promise<void>;
}

export async function startWalletService(backend: 'PGlite' | 'PostgreSQL', env: Record<string, string> = {}): Promise<WalletServiceUnderTest> {
  const db = backend === 'PostgreSQL' ? await freshDatabase(adminUrl as string, 'till') : null;
  const server: RunningServer = await startServer(
    loadConfig({ HOST: '127.0.0.1', PORT: '0', WALLET_DATA_DIR: 'memory://', ...(db ? { DATABASE_URL: db.url, DATABASE_POOL_MAX: '8' } : {}), ...env }),
    pino({ level: 'silent' }),
  );
  await server.ready;
  const url = `http://127.0.0.1:${server.port}`;
  const serviceToken = await mintToken({ sub: 'till-backend', roles: ['service'] });
  const adminToken = await mintToken({ sub: 'ops', roles: ['admin'] });
  // Every command carries a key, so a request whose kept-alive connection the server had just
  // closed can be sent again without paying twice, as a careful client does.
  const call = async (method: string, path: string, token: string, body?: unknown, key: string = crypto.randomUUID()): Promise<Api> => {
    const send = async (): Promise<Api> => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(method === 'POST' ? { 'idempotency-key': key } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    return send().catch((e: unknown) => {
      if ((e as Error).name === 'TimeoutError') throw e;
      return send();
    });
  };
  const ok = (r: Api, status = 200): any => {
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    url,
    port: server.port,
    serviceToken,
    adminToken,
    call,
    async customer(userId, funds) {
      const token = await mintToken({ sub: userId });
      const wallet = ok(await call('POST', '/api/v1/wallets', token, {}), 201);
      ok(await call('POST', '/api/v1/wallets/deposit', serviceToken, { walletId: wallet.id, amount: funds }));
      return { walletId: wallet.id as string, token };
    },
    async wallet(walletId) {
      return ok(await call('GET', `/api/v1/wallets/${walletId}`, adminToken));
    },
    async ledger(walletId) {
      const rows: any[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: any[]; nextCursor: string | null } = ok(
          await call('GET', `/api/v1/wallets/${walletId}/transactions?limit=200${cursor ? `&cursor=${cursor}` : ''}`, adminToken),
        );
        rows.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return rows.reverse();
    },
    async close() {
      await server.close();
      await db?.drop();
    },
  };
}
