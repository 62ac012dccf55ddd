import { pino } from 'pino';
import { loadConfig, mintToken, startServer, type RunningServer } from '@goodgo/wallet-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalletApiError, WalletClient } from '../src/client.js';

describe('the HTTP client against a running service', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', WALLET_DATA_DIR: 'memory://' }), pino({ level: 'silent' }));
  }, 60_000);
  afterAll(() => server.close());

  it('tops up, pays once despite a retry, transfers, and reads history', async () => {
    const baseUrl = server.url.replace('localhost', '127.0.0.1');
    const pos = new WalletClient({ baseUrl, token: await mintToken({ sub: 'pos', roles: ['service'] }) });
    const alice = new WalletClient({ baseUrl, token: await mintToken({ sub: 'alice' }) });
    const bob = new WalletClient({ baseUrl, token: await mintToken({ sub: 'bob' }) });
    const a = await alice.createWallet();
    const b = await bob.createWallet();
    await pos.deposit(a.id, '300000', 'slip-1');
    await alice.pay(a.id, '125000', 'ord-1');
    const retried = await alice.pay(a.id, '125000', 'ord-1');
    expect(retried.wallet.balance).toBe('175000');
    const sent = await alice.transfer(a.id, b.id, '75000');
    expect(sent.wallet.balance).toBe('100000');
    expect((await bob.wallet(b.id)).balance).toBe('75000');
    expect((await alice.history(a.id)).items.map((t) => t.type)).toEqual(['transfer_out', 'withdrawal', 'deposit']);
    await expect(alice.pay(a.id, '100001', 'ord-2')).rejects.toMatchObject({ status: 422, code: 'INSUFFICIENT_FUNDS' });
    await expect(bob.wallet(a.id)).rejects.toBeInstanceOf(WalletApiError);
  });
});
