import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from './support/process.js';

const root = join(import.meta.dirname, '..', '..', '..');
const FIELDS = ['balance', 'heldAmount', 'availableBalance', 'amount', 'capturedAmount', 'status', 'balanceAfter', 'code'];

/** The `sh` blocks under a heading of the README, in order. */
async function shBlocks(heading: string): Promise<string[]> {
  const text = await readFile(join(root, 'README.md'), 'utf8');
  const from = text.indexOf(`\n## ${heading}\n`);
  const to = text.indexOf('\n## ', from + 1);
  return [...text.slice(from, to).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** Each command of a block (continuation lines joined) with the `"field":"value"` pairs its output comment shows. */
function commands(block: string): { command: string; shows: string[] }[] {
  const out: { command: string; shows: string[] }[] = [];
  let current: string[] = [];
  for (const line of block.split('\n')) {
    if (current.length > 0) {
      current.push(line);
      if (!line.endsWith('\\')) {
        out.push({ command: current.join('\n'), shows: [] });
        current = [];
      }
    } else if (line.startsWith('#')) {
      const last = out.at(-1);
      // A comment right after a command (before any other) is its output.
      if (last && /^#\s+(\d{3} )?[{"]/.test(line)) {
        for (const m of line.matchAll(/"(\w+)":"([^"]*)"/g)) if (FIELDS.includes(m[1] as string)) last.shows.push(m[0]);
      }
    } else if (line.trim() !== '') {
      current = [line];
      if (!line.endsWith('\\')) {
        out.push({ command: line, shows: [] });
        current = [];
      }
    }
  }
  return out;
}

describe("the README's first session with curl", () => {
  it('runs as written, each block from where the one before left off, and answers what its comments show', async () => {
    const blocks = await shBlocks('A first session with curl');
    expect(blocks.length).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), 'readme-session-'));
    const server = await startServerProcess({ WALLET_DATA_DIR: 'memory://' });
    try {
      const { port } = new URL(server.url);
      const token = `node ${join(import.meta.dirname, '..', 'dist', 'token.js')}`;
      // The README's /tmp/ first, then the token command: a checkout under /tmp keeps its own path.
      const adapt = (command: string) =>
        command.replaceAll('/tmp/', `${dir}/`).replaceAll('localhost:3000', `127.0.0.1:${port}`).replaceAll('npm run -s token --', token);
      const steps = blocks.flatMap(commands);
      const script = ['set -e', ...steps.map((s, i) => `${adapt(s.command)}\necho; echo "@@step ${i}@@"`)].join('\n');
      const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      const outputs = run.stdout.split(/@@step \d+@@\n?/);
      const shown = steps.filter((s) => s.shows.length > 0);
      expect(shown.length).toBeGreaterThan(3);
      for (const [i, step] of steps.entries()) {
        for (const pair of step.shows) expect(`${step.command.split('\n')[0]} → ${pair}: ${outputs[i]?.includes(pair)}`).toMatch(/: true$/);
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
