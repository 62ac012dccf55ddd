/**
 * PgBouncer started on loopback for the suites and the bench: the pooler most PostgreSQL
 * deployments run, in transaction pooling mode.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's package puts it (`apt-get install pgbouncer`; .ci/run installs it). */
const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The PgBouncer binary, or why the PgBouncer suite cannot run here. */
export function findPgBouncer(): { binary: string } | { skip: string } {
  const binary = CANDIDATES.find((p) => existsSync(p));
  if (!binary) return { skip: 'no pgbouncer binary (apt-get install -y pgbouncer; .ci/run installs it where it can)' };
  try {
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    return /PgBouncer 1\.\d+/.test(version) ? { binary } : { skip: `unexpected pgbouncer --version: ${version.trim()}` };
  } catch (e) {
    return { skip: `pgbouncer --version failed: ${(e as Error).message}` };
  }
}

export interface PgBouncer {
  /** The target database's URL, through the pooler. */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts PgBouncer on loopback in transaction pooling mode in front of the database `targetUrl`
 * names, as most deployments run it: no startup parameter beyond what it tracks, and a server
 * connection lent to a client for one transaction only.
 */
export async function startPgBouncer(binary: string, targetUrl: string, poolSize = 20): Promise<PgBouncer> {
  const target = new URL(targetUrl);
  const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-'));
  const port = await freePort();
  const log = join(dir, 'pgbouncer.log');
  const ini = join(dir, 'pgbouncer.ini');
  await writeFile(
    ini,
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || '5432'} user=${decodeURIComponent(target.username) || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      'max_client_conn = 500',
      `default_pool_size = ${poolSize}`,
      `logfile = ${log}`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; it then runs as the cluster's user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dir, 0o755);
    await chown(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
  }
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && !(await accepts(port)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!(await accepts(port))) {
    const text = await readFile(log, 'utf8').catch(() => '');
    child.kill('SIGKILL');
    throw new Error(`pgbouncer did not start on 127.0.0.1:${port}:\n${text}`);
  }
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    stop: async () => {
      if (child.exitCode === null) {
        // SIGINT: shut down at once, closing its connections (SIGTERM would wait for clients).
        child.kill('SIGINT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
