import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Child {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

function handle(child: ChildProcess, url: string, exit: Promise<number | null>): Child {
  return {
    child,
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Starts a node script and waits for the first `"url":"…"` it prints. */
export async function startNode(script: string, env: Record<string, string>, cwd?: string): Promise<Child> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  const lines: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start:\n${lines.join('\n')}`));
    }, 60_000);
    for (const s of [child.stdout, child.stderr]) {
      createInterface({ input: s! }).on('line', (line) => {
        if (lines.length < 50) lines.push(line);
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve((m[1] as string).replace('localhost', '127.0.0.1'));
        }
      });
    }
    void exit.then((code) => reject(new Error(`${script} exited with ${code}:\n${lines.join('\n')}`)));
  });
  return handle(child, url, exit);
}

const require = createRequire(import.meta.url);
export const serverMain = join(dirname(require.resolve('@goodgo/wallet-server/package.json')), 'dist', 'main.js');
export const bareServer = join(import.meta.dirname, 'bare-server.mjs');
/** The flags `npm start` runs the server with (see the root package.json); BENCH_NODE_FLAGS overrides them. */
const SERVER_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the wallet server with its log going to /dev/null, as a log shipper would take it, so that
 * the benchmark process does not spend the shared cores reading it; ready when /health/ready is 200.
 * `main` is another build's server (its `packages/wallet-server/dist/main.js`); default this tree's.
 */
export async function startServer(env: Record<string, string>, main: string = serverMain): Promise<Child> {
  const port = await freePort();
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, main], {
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', devnull, 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not become ready');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return handle(child, url, exit);
}
