import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { WalletService } from '@goodgo/wallet-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'dist', 'reconcile.js');

describe('reconciliation for admins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  it('answers the report to admins only and sets the problems gauge', async () => {
    await h.userWithWallet('700');
    const service = await h.token('pos', 'service');
    expect((await h.call('GET', '/api/v1/wallets/admin/reconciliation', { token: service })).body.code).toBe('FORBIDDEN');
    const admin = await h.token('auditor', 'admin');
    const res = await h.call('GET', '/api/v1/wallets/admin/reconciliation', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, problems: [], wallets: 1, pointAccounts: 0, ledgerRows: 1 });
    const metrics = await h.call('GET', '/metrics');
    expect(metrics.body).toContain('wallet_reconciliation_problems{kind="balance_mismatch"} 0');
    expect(metrics.body).toMatch(/wallet_reconciliation_last_run_timestamp_seconds \d+/);
  });

  it('npm run reconcile prints the report and exits 1 when the books do not balance, 0 when they do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wallet-reconcile-'));
    try {
      const store = await createPgliteStore({ dataDir: dir });
      const service = new WalletService({ store });
      const w = await service.createWallet({ userId: 'cli-user' });
      await service.deposit({ walletId: w.id, amount: '100' });
      await store.close();
      const env = { ...process.env, WALLET_DATA_DIR: dir, DATABASE_URL: '' };
      const clean = await run(process.execPath, [cli], { env });
      expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, wallets: 1, ledgerRows: 1 });

      const edit = await createPgliteStore({ dataDir: dir });
      await edit.driver.query('UPDATE wallets SET balance = balance + 1000000');
      await edit.close();
      const failed = await run(process.execPath, [cli], { env }).then(
        () => null,
        (e: { code: number; stdout: string }) => e,
      );
      expect(failed?.code).toBe(1);
      expect(JSON.parse(failed?.stdout ?? '{}')).toMatchObject({ ok: false, problems: [{ kind: 'balance_mismatch', id: w.id }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
