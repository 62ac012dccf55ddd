import { WalletService } from '@goodgo/wallet-core';
import { findPgBouncer, freshDatabase, startPgBouncer } from '@goodgo/wallet-pg/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
const found = findPgBouncer();
const binary = 'binary' in found ? found.binary : undefined;
if (adminUrl && !binary) console.log(`[wallet-server] PgBouncer test skipped: ${'skip' in found ? found.skip : ''}`);

describe('DATABASE_PREPARED_STATEMENTS', () => {
  it('is true unless set to false, and nothing else', () => {
    expect(loadConfig({}).DATABASE_PREPARED_STATEMENTS).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).DATABASE_PREPARED_STATEMENTS).toBe(false);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/DATABASE_PREPARED_STATEMENTS: must be true or false/);
  });

  it.runIf(adminUrl && binary)('behind PgBouncer in transaction pooling mode, the server becomes ready and applies commands', async () => {
    const db = await freshDatabase(adminUrl as string, 'server_pgbouncer');
    const bouncer = await startPgBouncer(binary as string, db.url);
    try {
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: bouncer.url,
        DATABASE_PREPARED_STATEMENTS: 'false',
        SHUTDOWN_TIMEOUT_MS: '2000',
      });
      const server = await startServer(config, pino({ level: 'silent' }));
      try {
        await server.ready;
        expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
        const service = new WalletService({ store: server.store });
        const wallet = await service.createWallet({ userId: 'behind-the-pooler' });
        await Promise.all(Array.from({ length: 40 }, () => service.deposit({ walletId: wallet.id, amount: '25' })));
        expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1000');
        expect((await service.listTransactions({ walletId: wallet.id, limit: 100 })).items).toHaveLength(40);
      } finally {
        await server.close();
      }
    } finally {
      await bouncer.stop();
      await db.drop();
    }
  });
});
