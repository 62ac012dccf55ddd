import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

describe('the till demo on PGlite persisted to a directory', () => {
  let dataDir = '';
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts its second run from the balances the first run left', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'till-'));
    const env = { ...process.env, WALLET_DATA_DIR: dataDir };
    const tsx = join(root, '..', '..', 'node_modules', '.bin', 'tsx');
    const once = async () => (await run(tsx, ['src/main.ts'], { cwd: root, env })).stdout;
    const first = await once();
    expect(first).toContain('Balance at start: 0 VND');
    expect(first).toContain('Balance at end: 347000 VND, points 2');
    const second = await once();
    expect(second).toContain('Balance at start: 347000 VND');
    expect(second).toContain('Balance at end: 694000 VND, points 4');
  }, 120_000);
});
