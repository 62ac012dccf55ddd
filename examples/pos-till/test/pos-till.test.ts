import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

describe('the offline till example', () => {
  it('sells offline through a killed till process, then books every sale once and releases the rest', async () => {
    const tsx = join(root, '..', '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await run(tsx, ['src/main.ts'], { cwd: root, env: { ...process.env, WALLET_URL: '' }, timeout: 150_000 });
    expect(stdout).toContain('till: Chi 99000 sold as seq 1, 201000 left');
    expect(stdout).toContain('till: An 1 refused: ALLOWANCE_EXCEEDED');
    expect(stdout).toContain('till: 5 sales kept in its database, waiting for the network');
    expect(stdout).toContain('till: 5 sales booked, 0 replayed, 0 pending');
    expect(stdout).toContain('till: An settled: 3 sales, 300000 spent');
    expect(stdout).toContain('till: Binh settled: 1 sale, 45000 spent');
    const evening = stdout.slice(stdout.indexOf('6. Evening'));
    expect(evening).toMatch(/An +balance +700000 +held +0 +available +700000/);
    expect(evening).toMatch(/Binh +balance +955000 +held +0 +available +955000/);
    expect(evening).toMatch(/Chi +balance +901000 +held +0 +available +901000/);
  }, 180_000);
});
