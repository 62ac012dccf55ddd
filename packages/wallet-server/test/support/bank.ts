import pg from 'pg';
import { expect } from 'vitest';

/**
 * The bank workload over HTTP, for the fault suites: wallets funded once, then keyed random
 * transfers from many workers at once, each outcome recorded, and a second pass that retries, with
 * the same key and body, every request that got no answer or a 503, as a careful client would.
 */

export type Outcome = number | 'no answer';

export interface Attempt {
  key: string;
  body: { fromWalletId: string; toWalletId: string; amount: string; reference: string };
  outcomes: Outcome[];
}

export interface Bank {
  wallets: string[];
  initialTotal: bigint;
}

export async function call(url: string, method: string, path: string, token: string, body?: unknown, key?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Opens `count` wallets for distinct users and funds each with `funds`, through the API. */
export async function openBank(url: string, serviceToken: string, count: number, funds: string, prefix: string): Promise<Bank> {
  const wallets: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await call(url, 'POST', '/api/v1/wallets', serviceToken, { userId: `${prefix}-${i}` });
    expect(created.status).toBe(201);
    const deposit = await call(url, 'POST', '/api/v1/wallets/deposit', serviceToken, { walletId: created.body.id, amount: funds });
    expect(deposit.status).toBe(200);
    wallets.push(created.body.id as string);
  }
  return { wallets, initialTotal: BigInt(funds) * BigInt(count) };
}

/** A deterministic generator, so that a failing run can be replayed. */
export function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

/**
 * `workers` concurrent clients, each sending `perWorker` keyed transfers to the servers in turn.
 * Returns every attempt with its outcome; a request the server never answered is 'no answer'.
 */
export async function runTransfers(
  urls: string[],
  token: string,
  bank: Bank,
  o: { workers: number; perWorker: number; seed: number; tag: string },
): Promise<Attempt[]> {
  const rand = seeded(o.seed);
  const attempts: Attempt[] = [];
  const n = bank.wallets.length;
  for (let w = 0; w < o.workers; w++) {
    for (let i = 0; i < o.perWorker; i++) {
      const from = rand(n);
      const to = (from + 1 + rand(n - 1)) % n;
      const key = `${o.tag}-${w}-${i}`;
      attempts.push({
        key,
        body: { fromWalletId: bank.wallets[from] as string, toWalletId: bank.wallets[to] as string, amount: String(1 + rand(60)), reference: key },
        outcomes: [],
      });
    }
  }
  let served = 0;
  await Promise.all(
    Array.from({ length: o.workers }, async (_, w) => {
      for (let i = 0; i < o.perWorker; i++) {
        const a = attempts[w * o.perWorker + i] as Attempt;
        const url = urls[served++ % urls.length] as string;
        a.outcomes.push(await send(url, token, a));
      }
    }),
  );
  return attempts;
}

async function send(url: string, token: string, a: Attempt): Promise<Outcome> {
  try {
    return (await call(url, 'POST', '/api/v1/wallets/transfer', token, a.body, a.key)).status;
  } catch {
    return 'no answer';
  }
}

const settled = (o: Outcome | undefined) => typeof o === 'number' && o !== 503;

/** Retries, with the same key and body, every attempt whose last outcome was no answer or 503. */
export async function retryUnanswered(urls: string[], token: string, attempts: Attempt[]): Promise<Attempt[]> {
  const retried = attempts.filter((a) => !settled(a.outcomes.at(-1)));
  for (let round = 0; round < 40 && retried.some((a) => !settled(a.outcomes.at(-1))); round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 250));
    for (const a of retried) if (!settled(a.outcomes.at(-1))) a.outcomes.push(await send(urls[round % urls.length] as string, token, a));
  }
  return retried;
}

/** Polls `/health/ready` until it answers 200; false if `deadlineMs` passes first. */
export async function readyWithin(url: string, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(Math.max(100, until - Date.now())) })).status === 200) return true;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** A plain connection to the test's own database: to terminate its backends and to read the books. */
export async function operatorOf(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  // The tables live in the service's schema when there is one; unqualified names find them either way.
  await client.query('SET search_path = wallet, public');
  return client;
}

/** Terminates every backend of the operator's own database except its own; returns how many. */
export async function terminateBackends(operator: pg.Client): Promise<number> {
  const { rows } = await operator.query(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  return rows[0].n as number;
}

/**
 * The books after a run: money conserved, every balance equal to its ledger and never negative,
 * every transfer pair balanced, and each transfer key applied exactly once if it finally succeeded
 * (none if it was finally refused).
 */
export async function assertBooks(operator: pg.Client, bank: Bank, attempts: Attempt[]): Promise<void> {
  const ids = bank.wallets;
  const { rows: totals } = await operator.query('SELECT sum(balance)::text AS total, min(balance) >= 0 AS nonneg FROM wallets WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
  expect(totals[0]).toEqual({ total: bank.initialTotal.toString(), nonneg: true });
  const { rows: drift } = await operator.query(
    `SELECT w.id FROM wallets w LEFT JOIN (
       SELECT wallet_id, sum(CASE WHEN type IN ('deposit', 'transfer_in') THEN amount ELSE -amount END) AS s FROM wallet_transactions GROUP BY wallet_id
     ) l ON l.wallet_id = w.id WHERE w.id = ANY($1::uuid[]) AND w.balance <> coalesce(l.s, 0)`,
    [ids],
  );
  expect(drift).toEqual([]);
  const { rows: pairs } = await operator.query(
    `SELECT transfer_id FROM wallet_transactions WHERE wallet_id = ANY($1::uuid[]) AND transfer_id IS NOT NULL
     GROUP BY transfer_id HAVING sum(CASE WHEN type = 'transfer_in' THEN amount ELSE -amount END) <> 0 OR count(*) <> 2`,
    [ids],
  );
  expect(pairs).toEqual([]);
  const { rows: applied } = await operator.query(
    "SELECT reference, count(*)::int AS n FROM wallet_transactions WHERE type = 'transfer_out' AND reference = ANY($1::text[]) GROUP BY reference",
    [attempts.map((a) => a.key)],
  );
  const times = new Map(applied.map((r) => [r.reference as string, r.n as number]));
  const wrong = attempts
    .map((a) => ({ key: a.key, final: a.outcomes.at(-1), rows: times.get(a.key) ?? 0 }))
    .filter((x) => x.rows !== (x.final === 200 ? 1 : 0));
  expect(wrong).toEqual([]);
}
