import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Child {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

/** Starts a node script and waits for the first `"url":"…"` it prints. */
export async function startNode(script: string, env: Record<string, string>, cwd?: string): Promise<Child> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  const lines: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${lines.join('\n')}`)), 60_000);
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
  return {
    child,
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

const require = createRequire(import.meta.url);
export const serverMain = join(dirname(require.resolve('@goodgo/wallet-server/package.json')), 'dist', 'main.js');
export const bareServer = join(import.meta.dirname, 'bare-server.mjs');

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
