import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freshDatabase as create, type FreshDatabase } from '@goodgo/wallet-pg/testing';

const dist = join(import.meta.dirname, '..', '..', 'dist');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs: string[];
  exit: Promise<number | null>;
}

/** Starts the built server binary the way `npm start` does and waits until it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(dist, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a machine busy with other suites, PGlite's first start alone can take 30 s.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), 90_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        logs.push(line);
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    }
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return { child, url, logs, exit };
}

export async function runToken(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [join(dist, 'token.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`token exited with ${code}`);
  return out.trim();
}

export const adminUrl = process.env.WALLET_TEST_DATABASE_URL;

export function freshDatabase(): Promise<FreshDatabase> {
  return create(adminUrl as string, 'server');
}
