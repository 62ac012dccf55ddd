import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../src/token.js';

const SECRET = 'unread-output-secret-0123456789-abcdefghij';
const SHUTDOWN_TIMEOUT_MS = 2000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The server under a supervisor or `| tee` whose reading stalls: its stdout and stderr are pipes
 * that nobody reads (they fill after 64 KiB), and that are then closed as the parent goes away.
 */
describe('a server whose log output nobody reads', () => {
  it('keeps serving while its log pipe is full, and exits within the shutdown timeout on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        WALLET_DATA_DIR: 'memory://',
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'debug',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Never read: nothing listens for 'data' and the streams stay paused.
    child.stdout.pause();
    child.stderr.pause();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      let live = 0;
      for (let i = 0; i < 600 && live !== 200; i++) {
        live = await fetch(`${url}/health/live`).then(
          (r) => r.status,
          () => 0,
        );
        if (live !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(live).toBe(200);
      const token = await mintToken({ sub: 'till', roles: ['service'], secret: SECRET });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${url}/api/v1/wallets`, { method: 'POST', headers, body: JSON.stringify({ userId: 'unread' }) });
      const walletId = ((await created.json()) as { id: string }).id;
      // Far more log output than a pipe holds (a socket pair buffers ~200 KiB): each of these
      // requests logs its 8 KiB path.
      const long = `/api/v1/${'x'.repeat(8000)}`;
      for (let round = 0; round < 10; round++) {
        const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}${long}`, { headers }).then((r) => r.status)));
        expect(statuses.every((s) => s === 404)).toBe(true);
      }
      let answered = 0;
      for (let round = 0; round < 5; round++) {
        const statuses = await Promise.all(
          Array.from({ length: 40 }, () =>
            fetch(`${url}/api/v1/wallets/deposit`, { method: 'POST', headers, body: JSON.stringify({ walletId, amount: '1' }) }).then((r) => r.status),
          ),
        );
        answered += statuses.filter((s) => s === 200).length;
      }
      expect(answered).toBe(200);
      // Still answering with its output stalled: logging never waited for the pipe.
      const wallet = (await (await fetch(`${url}/api/v1/wallets/${walletId}`, { headers })).json()) as { balance: string };
      expect(wallet.balance).toBe('200');
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^wallet_log_lines_dropped_total \d+$/m);

      // SIGTERM while the pipes stay full and open: the parent is still there, reading nothing.
      const began = Date.now();
      child.kill('SIGTERM');
      const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), SHUTDOWN_TIMEOUT_MS + 5000));
      const result = await Promise.race([exited, timeout]);
      expect(result).not.toBe('hung');
      if (result !== 'hung') {
        expect(result.at - began).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 3000);
        // Drained and closed in time: the clean exit, not a backstop.
        expect(result.code).toBe(0);
      }
    } finally {
      // The parent goes away: the pipes close unread.
      child.stdout.destroy();
      child.stderr.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);

  it('the shutdown backstop ends a process whose event loop never turns again', async () => {
    const backstop = join(import.meta.dirname, '..', 'src', 'shutdown-backstop.ts');
    const script = `import { armShutdownBackstop } from ${JSON.stringify(backstop)};
      armShutdownBackstop(300);
      const until = Date.now() + 20000;
      while (Date.now() < until) {}
      process.stdout.write('survived');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const began = Date.now();
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
    expect(signal).toBe('SIGKILL');
    expect(out).toBe('');
    expect(Date.now() - began).toBeLessThan(15000);
  }, 60_000);
});
