/**
 * A real streaming replica for tests: a primary and a hot standby started from this machine's
 * PostgreSQL binaries in a temporary directory, each on a free port, stopped and removed by
 * `stop()`. Every step has a time limit, so a test using it is bounded even when a server hangs.
 *
 * Why not a standby of the shared server on 127.0.0.1:5432: a base backup needs a `replication`
 * line in its pg_hba.conf, and `all` does not match replication connections; changing that file
 * is a reconfiguration of a cluster other work depends on. `replicaUnavailable()` says which of
 * these applies, for the skip message.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const STEP_MS = 30_000;

export interface Replica {
  primaryUrl: string;
  standbyUrl: string;
  /** Why the shared server was not used (printed by the test). */
  note: string;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string | undefined {
  return BIN_DIRS.find((d) => ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].every((b) => existsSync(join(d, b))));
}

/** The OS user the servers run as: PostgreSQL refuses to run as root, so root runs them as `postgres`. */
function runAs(): { wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } | string {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  if (!existsSync('/usr/sbin/runuser')) return 'running as root without runuser to start PostgreSQL as the postgres user';
  return { wrap: (cmd, args) => ['/usr/sbin/runuser', ['-u', 'postgres', '--', cmd, ...args]] };
}

/** Why no replica can be started here, or null when one can. */
export function replicaUnavailable(): string | null {
  if (process.platform !== 'linux') return `not on Linux (${process.platform})`;
  if (!binDir()) return `no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) under ${BIN_DIRS.join(', ')}`;
  const as = runAs();
  return typeof as === 'string' ? as : null;
}

function run(cmd: string, args: string[], timeoutMs = STEP_MS): Promise<string> {
  const as = runAs();
  if (typeof as === 'string') return Promise.reject(new Error(as));
  const [file, argv] = as.wrap(cmd, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function idOf(flag: '-u' | '-g'): string {
  return execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', timeout: 5_000 }).trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query(sql);
    return (result.rows[0] as Record<string, unknown> | undefined)?.v;
  } finally {
    await client.end();
  }
}

/** Why the shared server at `adminUrl` cannot give a base backup (for the printed note). */
async function sharedServerNote(adminUrl: string | undefined): Promise<string> {
  if (!adminUrl) return 'no shared server named (WALLET_TEST_DATABASE_URL unset)';
  try {
    const level = await scalar(adminUrl, "SELECT current_setting('wal_level') AS v");
    const senders = await scalar(adminUrl, "SELECT current_setting('max_wal_senders') AS v");
    const hba = await scalar(adminUrl, "SELECT count(*)::int AS v FROM pg_hba_file_rules WHERE 'replication' = ANY(database)");
    if (level === 'minimal' || senders === '0')
      return `the shared server has wal_level=${String(level)}, max_wal_senders=${String(senders)} (changing them needs a restart)`;
    if (hba === 0)
      return "the shared server (wal_level and max_wal_senders allow it) has no `replication` line in pg_hba.conf, and changing it is not this test's to do";
    return 'the shared server allows replication, but a base backup would copy every database on it';
  } catch (e) {
    return `the shared server could not be asked (${(e as Error).message})`;
  }
}

/**
 * Starts a primary (initdb, trust auth on 127.0.0.1, replication allowed as initdb writes it), a
 * base backup of it with `-R`, and the standby streaming from it. On any failure what was started
 * is stopped and removed before the error is thrown.
 */
export async function startReplica(adminUrl: string | undefined): Promise<Replica> {
  const bin = binDir();
  const unavailable = replicaUnavailable();
  if (!bin || unavailable) throw new Error(unavailable ?? 'no binaries');
  const note = await sharedServerNote(adminUrl);
  const dir = mkdtempSync(join(tmpdir(), 'wallet-replica-'));
  // Root hands the directory to the user the servers run as.
  if (process.getuid?.() === 0) chownSync(dir, Number(idOf('-u')), Number(idOf('-g')));
  const primaryData = join(dir, 'primary');
  const standbyData = join(dir, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const started: string[] = [];
  const opts = (port: number) =>
    `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=30`;
  const stop = async () => {
    for (const data of started.reverse()) {
      await run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '20']).catch(() => undefined);
    }
    started.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run(join(bin, 'initdb'), ['-D', primaryData, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await run(join(bin, 'pg_ctl'), ['start', '-D', primaryData, '-w', '-t', '30', '-l', join(dir, 'primary.log'), '-o', opts(primaryPort)]);
    started.push(primaryData);
    await run(join(bin, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      standbyData,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    await run(join(bin, 'pg_ctl'), [
      'start',
      '-D',
      standbyData,
      '-w',
      '-t',
      '30',
      '-l',
      join(dir, 'standby.log'),
      '-o',
      `${opts(standbyPort)} -c hot_standby=on`,
    ]);
    started.push(standbyData);
  } catch (e) {
    await stop();
    throw e;
  }
  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const standbyUrl = `postgres://postgres@127.0.0.1:${standbyPort}/postgres`;
  writeFileSync(join(dir, 'urls'), `${primaryUrl}\n${standbyUrl}\n`);
  return {
    primaryUrl,
    standbyUrl,
    note,
    // Every commit of the primary is flushed before it returns (synchronous_commit stays on), so
    // its flush position covers whatever the caller has seen committed.
    async caughtUp(timeoutMs = 20_000) {
      const target = String(await scalar(primaryUrl, 'SELECT pg_current_wal_flush_lsn()::text AS v'));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await scalar(standbyUrl, `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn AS v`)) === true) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
    },
    async pauseReplay() {
      await scalar(standbyUrl, 'SELECT pg_wal_replay_pause() AS v');
    },
    async resumeReplay() {
      await scalar(standbyUrl, 'SELECT pg_wal_replay_resume() AS v');
    },
    stop,
  };
}
