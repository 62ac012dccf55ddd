import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startWalletService, type WalletServiceUnderTest } from './support/wallet-service.js';
import { TcpProxy, TillUnderTest, codeOf } from './support/till-harness.js';

const CUSTOMERS = 3;
const FUNDS = 200_000;

type Step =
  | { kind: 'provision'; c: number; amount: number }
  | { kind: 'sell'; c: number; amount: number }
  | { kind: 'pay'; c: number; amount: number }
  | { kind: 'earn'; c: number; points: number }
  | { kind: 'network'; mode: 'cut' | 'blackhole' | 'dropAnswers' | 'restore' }
  | { kind: 'restart' }
  | { kind: 'sync' }
  | { kind: 'settle'; c: number };

const customer = fc.integer({ min: 0, max: CUSTOMERS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('provision' as const), c: customer, amount: fc.integer({ min: 1, max: 120 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('sell' as const), c: customer, amount: fc.integer({ min: 1, max: 40 }) }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('pay' as const), c: customer, amount: fc.integer({ min: 1, max: 80 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('earn' as const), c: customer, points: fc.integer({ min: 1, max: 50 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('network' as const), mode: fc.constantFrom('cut', 'blackhole', 'dropAnswers', 'restore') }), weight: 4 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'sync' as const }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('settle' as const), c: customer }), weight: 2 },
);

/** What each step may answer; anything else fails the run. */
const ALLOWED: Record<Step['kind'], readonly string[]> = {
  provision: ['SERVICE_UNAVAILABLE', 'ALLOWANCE_EXISTS', 'INSUFFICIENT_FUNDS'],
  sell: ['NO_ALLOWANCE', 'ALLOWANCE_EXCEEDED'],
  pay: ['INSUFFICIENT_FUNDS'],
  earn: [],
  network: [],
  restart: [],
  sync: [],
  settle: ['NO_ALLOWANCE', 'SERVICE_UNAVAILABLE'],
};

describe.each(BACKENDS)('random interleavings of a till and its customers against the service on %s', (backend) => {
  let service: WalletServiceUnderTest;
  let proxy: TcpProxy;
  let run = 0;
  beforeAll(async () => {
    service = await startWalletService(backend);
    proxy = await TcpProxy.start({ port: service.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await service?.close();
  });

  it('keeps every invariant: balance = ledger, held = open allowances, available >= 0, each (allowance, seq) once, the till equal to the service', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 8, maxLength: 24 }), async (steps) => {
        run += 1;
        proxy.restore();
        const customers = await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => service.customer(`p-${backend}-${run}-${i}`, String(FUNDS))));
        const t = await TillUnderTest.open(service, proxy, { forwardTimeoutMs: 150, requestTimeoutMs: 500 });
        const earned = new Map<string, number>();
        try {
          for (const s of steps) {
            const c = 'c' in s ? customers[s.c]! : undefined;
            let attempt: Promise<unknown>;
            switch (s.kind) {
              case 'provision':
                attempt = t.till.provision({ walletId: c!.walletId, amount: String(s.amount * 1000) });
                break;
              case 'sell':
                attempt = t.till.spend({ walletId: c!.walletId, amount: String(s.amount * 1000), reference: `s-${run}` });
                break;
              case 'pay':
                attempt = service.call('POST', '/api/v1/wallets/withdraw', c!.token, { walletId: c!.walletId, amount: String(s.amount * 1000) }).then((r) => {
                  if (r.status !== 200) throw Object.assign(new Error(r.body.code), { code: r.body.code });
                });
                break;
              case 'earn': {
                const userId = `p-${backend}-${run}-${s.c}`;
                attempt = t.till
                  .earnPoints({ userId, points: s.points, source: `order:${run}` })
                  .then(() => earned.set(userId, (earned.get(userId) ?? 0) + s.points));
                break;
              }
              case 'network':
                proxy[s.mode]();
                attempt = Promise.resolve();
                break;
              case 'restart':
                attempt = t.restart();
                break;
              case 'sync':
                attempt = t.till.sync().then((r) => expect(r.problems).toEqual([]));
                break;
              case 'settle':
                attempt = t.till.settle({ walletId: c!.walletId });
                break;
            }
            const code = await attempt.then(
              () => null,
              (e: unknown) => codeOf(Promise.reject(e)),
            );
            if (code !== null) expect(ALLOWED[s.kind], `${s.kind} answered ${code}`).toContain(code);
          }

          proxy.restore();
          expect(await t.till.sync()).toMatchObject({ pending: 0, online: true, problems: [] });
          await assertInvariants(service, t, customers, earned);
        } finally {
          await t.close();
        }
      }),
      { numRuns: backend === 'PGlite' ? 5 : 3, endOnFailure: true },
    );
  }, 240_000);
});

async function assertInvariants(
  service: WalletServiceUnderTest,
  t: TillUnderTest,
  customers: { walletId: string }[],
  earned: Map<string, number>,
): Promise<void> {
  const booked = new Map<string, { seq: number; id: string; amount: string }[]>();
  for (const { walletId } of customers) {
    const wallet = await service.wallet(walletId);
    const ledger = await service.ledger(walletId);
    // balance = ledger: the deposit less every withdrawal, each balanceAfter in turn.
    let balance = 0n;
    for (const row of ledger) {
      balance += row.type === 'deposit' ? BigInt(row.amount) : -BigInt(row.amount);
      expect(row.balanceAfter).toBe(String(balance));
    }
    expect(wallet.balance).toBe(String(balance));
    expect(BigInt(wallet.availableBalance)).toBeGreaterThanOrEqual(0n);
    // held = what the active allowances still reserve.
    const active = (await service.call('GET', `/api/v1/wallets/${walletId}/allowances?status=active&limit=200`, service.serviceToken)).body.items as {
      amount: string;
      spentAmount: string;
    }[];
    expect(BigInt(wallet.heldAmount)).toBe(active.reduce((sum, a) => sum + BigInt(a.amount) - BigInt(a.spentAmount), 0n));
    for (const row of ledger) {
      if (!row.allowanceId) continue;
      booked.set(row.allowanceId, [...(booked.get(row.allowanceId) ?? []), { seq: row.allowanceSeq as number, id: row.id, amount: row.amount }]);
    }
  }
  // Each (allowance, seq) once, without a gap, and exactly the sales the till made, under the same ids.
  await t.till.close();
  const db = await PGlite.create(t.dir);
  try {
    const { rows } = await db.query<{ allowance_id: string; seq: number; amount: string; status: string; transaction_id: string | null }>(
      'SELECT allowance_id, seq, amount::text AS amount, status, transaction_id FROM spends ORDER BY allowance_id, seq',
    );
    const local = new Map<string, { seq: number; id: string | null; amount: string }[]>();
    for (const r of rows) {
      expect(r.status).not.toBe('unsent');
      local.set(r.allowance_id, [...(local.get(r.allowance_id) ?? []), { seq: r.seq, id: r.transaction_id, amount: r.amount }]);
    }
    expect(new Map([...booked].map(([k, v]) => [k, v.sort((a, b) => a.seq - b.seq)]))).toEqual(local);
  } finally {
    await db.close();
    await t.restart();
  }
  for (const [userId, points] of earned) {
    const account = await service.call('GET', `/api/v1/wallets/points?userId=${userId}`, service.serviceToken);
    expect(account.body.availablePoints).toBe(points);
  }
}
