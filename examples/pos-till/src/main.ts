/**
 * A shop's day with its network down for part of it. The wallet service runs here (PGlite in
 * memory) unless WALLET_URL names one; the till reaches it through a small TCP proxy standing for
 * the shop's network; each till step is its own process, so a restart is a real one.
 *
 *   npm start -w examples/pos-till
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig, mintToken, startServer, type RunningServer } from '@goodgo/wallet-server';
import { TcpProxy } from '@goodgo/wallet-till/testing';
import { pino } from 'pino';

const given = process.env.WALLET_URL || undefined;
const local: RunningServer | null = given
  ? null
  : await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', WALLET_DATA_DIR: 'memory://' }), pino({ level: 'silent' }));
const serviceUrl = new URL(given ?? `http://127.0.0.1:${local?.port}`);
const network = await TcpProxy.start({ host: serviceUrl.hostname, port: Number(serviceUrl.port || 80) });
const token = process.env.WALLET_SERVICE_TOKEN ?? (await mintToken({ sub: 'shop-7', roles: ['service'] }));
const dataDir = await mkdtemp(join(tmpdir(), 'pos-till-'));
const run = Date.now().toString(36);

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, serviceUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

// Three customers, each topped up.
const names = ['An', 'Binh', 'Chi'];
const wallets: string[] = [];
for (const name of names) {
  const wallet = await api('POST', '/api/v1/wallets', { userId: `${name.toLowerCase()}-${run}`, currency: 'VND' });
  await api('POST', '/api/v1/wallets/deposit', { walletId: wallet.id, amount: '1000000', reference: `topup-${run}` });
  wallets.push(wallet.id);
}

async function balances(step: string): Promise<void> {
  console.log(`\n${step}`);
  for (const [i, id] of wallets.entries()) {
    const w = await api('GET', `/api/v1/wallets/${id}`);
    console.log(`  ${names[i]!.padEnd(5)} balance ${w.balance.padStart(8)}  held ${w.heldAmount.padStart(7)}  available ${w.availableBalance.padStart(8)}`);
  }
}

/** Runs one till step as its own process; `untilLine` stops waiting (and kills it) when a line matches. */
function till(step: string, extra: Record<string, string> = {}, untilEvent?: string): Promise<Record<string, any>[]> {
  const child = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'till-process.ts'), step], {
    env: {
      ...process.env,
      TILL_DATA_DIR: dataDir,
      TILL_SERVER_URL: network.url,
      TILL_TOKEN: token,
      TILL_WALLETS: wallets.join(','),
      TILL_ALLOWANCE: '300000',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, any>[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, any>;
      events.push(event);
      if (event.event === 'sold' || event.event === 'refused') {
        const who = names[wallets.indexOf(event.walletId)];
        console.log(
          `  till: ${who} ${event.amount} ${event.event === 'sold' ? `sold as seq ${event.seq}, ${event.remaining} left` : `refused: ${event.code}`}`,
        );
      }
      if (event.event === untilEvent) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve(events) : reject(new Error(`till ${step} exited with ${code}`))));
  });
}

try {
  await balances('1. Morning: three customers, 1 000 000 each');

  await till('provision');
  await balances('2. The till provisions an allowance of 300 000 for each (reserved: held)');

  network.cut();
  console.log('\n3. The network goes down. The till sells offline, then its process is killed mid-shift');
  await till('sell', { TILL_SALES: '0:120000,1:45000,0:80000' }, 'selling-done');

  console.log('\n4. The till restarts, still offline, and goes on selling (one sale too many is refused)');
  const after = await till('sell', { TILL_SALES: '2:99000,0:100000,0:1' }, 'selling-done');
  const unsent = after.filter((e) => e.event === 'status').reduce((n, e) => n + e.unsentSpends, 0);
  console.log(`  till: ${unsent} sales kept in its database, waiting for the network`);
  await balances('   Meanwhile the service still shows the money reserved, nothing spent yet');

  network.restore();
  console.log('\n5. The network is back: the till forwards every sale, then settles');
  const closed = await till('close');
  const synced = closed.find((e) => e.event === 'synced');
  console.log(`  till: ${synced?.booked} sales booked, ${synced?.replayed} replayed, ${synced?.pending} pending`);
  for (const e of closed.filter((x) => x.event === 'settled')) {
    console.log(`  till: ${names[wallets.indexOf(e.walletId)]} settled: ${e.spendCount} sale${e.spendCount === 1 ? '' : 's'}, ${e.spentAmount} spent`);
  }
  await balances('6. Evening: each wallet paid exactly its sales, the unspent rest released');
} finally {
  await network.close();
  await local?.close();
  await rm(dataDir, { recursive: true, force: true });
}
