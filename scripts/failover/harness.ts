/**
 * The failover harness (issue 21): a PostgreSQL 15 primary and a synchronous standby run by
 * Debian's Patroni, a single-node etcd as its store, HAProxy sending a primary port to whichever
 * node answers Patroni's `GET /primary` and a replica port to `GET /replica`, and the wallet
 * server (its built `dist/main.js`) against HAProxy with `DATABASE_READ_URL` on the replica port.
 * Sixteen workers send keyed transfers, each retrying its key on 503 or no answer; a reader reads
 * the books throughout; the primary's postmaster is SIGKILLed mid-load. Afterwards the books are
 * checked (every acknowledged transfer present once, money conserved, reconciliation clean) and
 * the outage is measured: kill → first success, HAProxy's switch → first success.
 *
 * Everything listens on loopback, on free ports, under one temporary directory; every phase has a
 * time limit; every process started is stopped (by its id) even when a phase fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mintToken } from '@goodgo/wallet-server';
import pg from 'pg';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const TOOLS = { patroni: '/usr/bin/patroni', etcd: '/usr/bin/etcd', haproxy: '/usr/sbin/haproxy' } as const;
const ROOT = resolve(import.meta.dirname, '..', '..');
const SERVER = join(ROOT, 'packages', 'wallet-server', 'dist', 'main.js');
const JWT_SECRET = 'failover-harness-secret-0123456789-abcdefgh';
const PASSWORD = 'failover';
const WORKERS = 16;
const WALLETS = 64;
const FUNDS = 1_000_000n;

export interface FailoverOptions {
  /** Load before the kill. */
  warmMs?: number;
  /** Load after the first success that follows the kill. */
  afterMs?: number;
  log?: (line: string) => void;
}

export interface FailoverReport {
  acknowledged: number;
  /** Transfers the books hold, by key: each acknowledged one exactly once. */
  missing: string[];
  doubled: string[];
  /** Keys never answered within the run's bound (each must be in the books at most once). */
  unanswered: number;
  statuses: Record<string, number>;
  readStatuses: Record<string, number>;
  /** Reads answered 2xx between the kill and the first transfer success after it. */
  readsDuringOutage: number;
  moneyConserved: boolean;
  reconciliationOk: boolean;
  killToFirstSuccessMs: number;
  switchToFirstSuccessMs: number | null;
  killToSwitchMs: number | null;
  oldPrimary: string;
  newPrimary: string;
  /** The server's warning and error lines about 503s, by level (pino numbers: 40 warn, 50 error). */
  unavailableLogLevels: Record<string, number>;
  /** Those lines by message and cause: what an operator sees during a failover. */
  unavailableCauses: Record<string, number>;
}

/**
 * Why the harness cannot run here, or undefined. As root with apt-get, missing Debian packages
 * are installed first.
 */
export function unavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync(join(PG_BIN, 'postgres'))) return `no PostgreSQL 15 binaries in ${PG_BIN}`;
  if (!existsSync(SERVER)) return `no ${SERVER}: run npm run build first`;
  const root = process.getuid?.() === 0;
  if (root && !existsSync('/usr/sbin/runuser')) return 'running as root without runuser to start PostgreSQL as the postgres user';
  if (root && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root without a postgres user to run PostgreSQL as';
  const missing = () => Object.entries(TOOLS).filter(([, path]) => !existsSync(path));
  if (missing().length === 0) return undefined;
  if (!root || !existsSync('/usr/bin/apt-get'))
    return `missing ${missing()
      .map(([n]) => n)
      .join(', ')}, and no apt-get as root to install patroni, etcd-server and haproxy`;
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', 'patroni', 'etcd-server', 'haproxy'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: 'ignore',
      timeout: 300_000,
    });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 });
    install();
  }
  const still = missing();
  return still.length === 0 ? undefined : `apt-get could not install ${still.map(([n]) => n).join(', ')}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `check` until it is true, or fails the phase after `ms`. */
async function phase(what: string, ms: number, check: () => Promise<boolean>, every = 100): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(every);
  }
}

async function status(url: string, timeoutMs = 1000): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).status;
  } catch {
    return 0;
  }
}

interface Cluster {
  dir: string;
  ports: { etcd: number; etcdPeer: number; primary: number; replica: number; stats: number; server: number };
  nodes: { name: string; pg: number; rest: number; dataDir: string }[];
}

/** Every process the harness started, stopped by its id, and the postmasters Patroni started. */
class Processes {
  private readonly children: ChildProcess[] = [];
  constructor(private readonly cluster: Cluster) {}

  start(name: string, cmd: string, args: string[], o: { asPostgres?: boolean; env?: Record<string, string> } = {}): ChildProcess {
    const root = process.getuid?.() === 0;
    const [file, argv] = root && o.asPostgres ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const out = openSync(join(this.cluster.dir, `${name}.log`), 'a');
    const child = spawn(file, argv, { cwd: this.cluster.dir, env: { ...process.env, ...o.env }, stdio: ['ignore', out, out], detached: true });
    this.children.push(child);
    return child;
  }

  /** The postmaster of a node, from its data directory's postmaster.pid. */
  postmaster(dataDir: string): number | undefined {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async stopAll(): Promise<void> {
    const signal = (pid: number | undefined, sig: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    // Each child leads a process group of its own (detached): its group goes with it.
    for (const child of this.children.reverse()) if (child.pid !== undefined && child.exitCode === null) signal(-child.pid, 'SIGKILL');
    // Patroni's postmasters outlive Patroni by design: an immediate shutdown, then SIGKILL.
    const postmasters = this.cluster.nodes.map((n) => this.postmaster(n.dataDir));
    for (const pid of postmasters) signal(pid, 'SIGQUIT');
    await sleep(1500);
    for (const pid of postmasters) signal(pid, 'SIGKILL');
    // Anything still running from this run's directory (a backend of a killed postmaster, an
    // archiver) is ours: its command line names the directory, which no other process can.
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(this.cluster.dir)) signal(Number(entry), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** The cluster's dynamic configuration: deploy/failover/patroni.yml bootstraps with the same (a test checks it). */
export const PATRONI_DCS = {
  ttl: 10,
  loop_wait: 1,
  retry_timeout: 3,
  maximum_lag_on_failover: 1048576,
  synchronous_mode: true,
  // A crashed primary fails over at once instead of being restarted in place first.
  primary_start_timeout: 0,
  postgresql: {
    use_pg_rewind: true,
    use_slots: true,
    parameters: { wal_level: 'replica', hot_standby: 'on', wal_log_hints: 'on', max_wal_senders: 10, max_replication_slots: 10, max_connections: 200 },
  },
};

/** HAProxy's settings that make the switch fast and clean: deploy/failover/haproxy.cfg has each line (a test checks it). */
export const HAPROXY_LINES = [
  'retries 0',
  'timeout connect 1s',
  'option httpchk',
  'http-check send meth GET uri /primary',
  'http-check send meth GET uri /replica',
  'http-check expect status 200',
  'default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
];

function patroniConfig(c: Cluster, node: Cluster['nodes'][number]): string {
  const config = {
    scope: 'wallet',
    namespace: '/wallet-failover/',
    name: node.name,
    log: { level: 'INFO' },
    restapi: { listen: `127.0.0.1:${node.rest}`, connect_address: `127.0.0.1:${node.rest}` },
    etcd3: { hosts: [`127.0.0.1:${c.ports.etcd}`] },
    bootstrap: {
      dcs: PATRONI_DCS,
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication replicator 127.0.0.1/32 trust'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pg}`,
      connect_address: `127.0.0.1:${node.pg}`,
      data_dir: node.dataDir,
      bin_dir: PG_BIN,
      pgpass: join(c.dir, `pgpass-${node.name}`),
      authentication: {
        superuser: { username: 'postgres', password: PASSWORD },
        replication: { username: 'replicator', password: PASSWORD },
        rewind: { username: 'postgres', password: PASSWORD },
      },
      parameters: { unix_socket_directories: c.dir, shared_buffers: '64MB', fsync: 'on', synchronous_commit: 'on' },
    },
  };
  // YAML is a superset of JSON: Patroni reads this as it is.
  return JSON.stringify(config, null, 2);
}

/** HAProxy as deploy/failover/haproxy.cfg has it, on this run's ports. */
function haproxyConfig(c: Cluster): string {
  const servers = (check: string) => [
    '    option httpchk',
    `    http-check send meth GET uri ${check}`,
    '    http-check expect status 200',
    '    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...c.nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.pg} maxconn 200 check port ${n.rest}`),
  ];
  return [
    'global',
    '    maxconn 1000',
    'defaults',
    '    mode tcp',
    '    retries 0',
    '    timeout connect 1s',
    '    timeout client 30m',
    '    timeout server 30m',
    '    timeout check 1s',
    'listen stats',
    '    mode http',
    `    bind 127.0.0.1:${c.ports.stats}`,
    '    stats enable',
    '    stats uri /',
    'listen primary',
    `    bind 127.0.0.1:${c.ports.primary}`,
    ...servers('/primary'),
    'listen replica',
    `    bind 127.0.0.1:${c.ports.replica}`,
    ...servers('/replica'),
    '',
  ].join('\n');
}

/** Which servers of a HAProxy backend are UP now, from its CSV statistics. */
async function upServers(c: Cluster, backend: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${c.ports.stats}/;csv`, { signal: AbortSignal.timeout(1000) });
  const rows = (await res.text()).split('\n').map((l) => l.split(','));
  return rows.filter((r) => r[0] === backend && r[1] !== 'FRONTEND' && r[1] !== 'BACKEND' && r[17] === 'UP').map((r) => r[1] as string);
}

interface Sent {
  key: string;
  body: { fromWalletId: string; toWalletId: string; amount: string; reference: string };
  acknowledged: boolean;
}

/** The bounded retry of one key: on 503 or no answer, the same key and body again. */
async function transfer(
  url: string,
  token: string,
  s: Sent,
  statuses: Map<string, number>,
  onSuccess: (sentAt: number, at: number) => void,
  until: number,
): Promise<void> {
  while (Date.now() < until) {
    const sentAt = Date.now();
    let code: number | 'no answer';
    try {
      const res = await fetch(`${url}/api/v1/wallets/transfer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': s.key },
        body: JSON.stringify(s.body),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      code = res.status;
    } catch {
      code = 'no answer';
    }
    statuses.set(String(code), (statuses.get(String(code)) ?? 0) + 1);
    if (code === 200) {
      s.acknowledged = true;
      onSuccess(sentAt, Date.now());
      return;
    }
    if (code !== 503 && code !== 'no answer') return;
    // Faster than Retry-After (1 s) on purpose: the harness measures when the service answers again.
    await sleep(20);
  }
}

export async function runFailover(o: FailoverOptions = {}): Promise<FailoverReport> {
  const log = o.log ?? ((line: string) => console.log(`[failover] ${line}`));
  const dir = mkdtempSync(join(tmpdir(), 'wallet-failover-'));
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString());
    const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString());
    chownSync(dir, uid, gid);
  }
  const ports = { etcd: 0, etcdPeer: 0, primary: 0, replica: 0, stats: 0, server: 0 };
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const nodes = [];
  for (const name of ['node1', 'node2']) nodes.push({ name, pg: await freePort(), rest: await freePort(), dataDir: join(dir, name) });
  const cluster: Cluster = { dir, ports, nodes };
  const procs = new Processes(cluster);
  const stop = () => void procs.stopAll();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let server: ChildProcess | undefined;
  const serverLines: string[] = [];
  try {
    log(`directory ${dir}; etcd :${ports.etcd}, nodes :${nodes.map((n) => n.pg).join(' :')}, haproxy primary :${ports.primary} replica :${ports.replica}`);
    procs.start(
      'etcd',
      TOOLS.etcd,
      [
        '--name=e1',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=e1=http://127.0.0.1:${ports.etcdPeer}`,
        '--initial-cluster-state=new',
        '--logger=zap',
        '--log-level=warn',
      ],
      { asPostgres: true },
    );
    await phase('etcd healthy', 30_000, async () => (await status(`http://127.0.0.1:${ports.etcd}/health`)) === 200);

    for (const node of nodes) {
      const file = join(dir, `${node.name}.yml`);
      writeFileSync(file, patroniConfig(cluster, node), { mode: 0o644 });
      procs.start(`patroni-${node.name}`, TOOLS.patroni, [file], { asPostgres: true });
      // One at a time: the first bootstraps the cluster, the second clones it.
      if (node === nodes[0]) await phase(`${node.name} primary`, 90_000, async () => (await status(`http://127.0.0.1:${node.rest}/primary`)) === 200, 250);
    }
    const second = nodes[1] as Cluster['nodes'][number];
    await phase(`${second.name} synchronous standby`, 120_000, async () => (await status(`http://127.0.0.1:${second.rest}/sync`)) === 200, 250);
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(cluster), { mode: 0o644 });
    procs.start('haproxy', TOOLS.haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], { asPostgres: true });
    await phase(
      'haproxy routing the primary',
      30_000,
      async () => (await upServers(cluster, 'primary')).length === 1 && (await upServers(cluster, 'replica')).length === 1,
    );

    const dbUrl = (port: number) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
    server = spawn(process.execPath, [SERVER], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(ports.server),
        LOG_LEVEL: 'info',
        JWT_SECRET,
        DATABASE_URL: dbUrl(ports.primary),
        DATABASE_READ_URL: dbUrl(ports.replica),
        DATABASE_CONNECT_TIMEOUT_MS: '2000',
        WALLET_LEDGER_KEY: 'failover:failover-harness-ledger-key-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [server.stdout, server.stderr]) stream?.on('data', (d: Buffer) => serverLines.push(...d.toString('utf8').split('\n').filter(Boolean)));
    const url = `http://127.0.0.1:${ports.server}`;
    await phase('wallet server ready', 90_000, async () => (await status(`${url}/health/ready`)) === 200, 250).catch((e: Error) => {
      throw new Error(`${e.message}\n${serverLines.slice(-20).join('\n')}`);
    });

    const admin = await mintToken({ sub: 'failover-admin', roles: ['admin'], secret: JWT_SECRET });
    const service = await mintToken({ sub: 'failover-service', roles: ['service'], secret: JWT_SECRET });
    const wallets: string[] = [];
    for (let i = 0; i < WALLETS; i++) {
      const created = await fetch(`${url}/api/v1/wallets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `failover-${i}` }),
      });
      const id = ((await created.json()) as { id: string }).id;
      const dep = await fetch(`${url}/api/v1/wallets/deposit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
        body: JSON.stringify({ walletId: id, amount: String(FUNDS) }),
      });
      if (created.status !== 201 || dep.status !== 200) throw new Error(`setting up wallet ${i}: ${created.status} ${dep.status}`);
      wallets.push(id);
    }
    log(`${WALLETS} wallets funded; ${WORKERS} workers sending keyed transfers`);

    const statuses = new Map<string, number>();
    const readStatuses = new Map<string, number>();
    const sent: Sent[] = [];
    let killAt = Number.POSITIVE_INFINITY;
    let firstSuccessAt: number | undefined;
    let switchAt: number | undefined;
    let readsDuringOutage = 0;
    let stopAt = Number.POSITIVE_INFINITY;
    const onSuccess = (sentAt: number, at: number) => {
      if (sentAt >= killAt && firstSuccessAt === undefined) firstSuccessAt = at;
    };
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    // Every key is retried until answered, up to a bound far past the contract's 30 s.
    const hardStop = () => Math.min(stopAt + 60_000, Date.now() + 120_000);
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const from = rand(WALLETS);
        const to = (from + 1 + rand(WALLETS - 1)) % WALLETS;
        const key = `failover-${w}-${i}`;
        const s: Sent = {
          key,
          body: { fromWalletId: wallets[from] as string, toWalletId: wallets[to] as string, amount: String(1 + rand(50)), reference: key },
          acknowledged: false,
        };
        sent.push(s);
        await transfer(url, service, s, statuses, onSuccess, hardStop());
      }
    });
    const reader = (async () => {
      while (Date.now() < stopAt) {
        const walletId = wallets[rand(WALLETS)] as string;
        let code = 0;
        try {
          const res = await fetch(`${url}/api/v1/wallets/${walletId}/transactions?limit=5`, {
            headers: { authorization: `Bearer ${service}` },
            signal: AbortSignal.timeout(5000),
          });
          await res.arrayBuffer();
          code = res.status;
        } catch {
          // no answer: counted as 0
        }
        readStatuses.set(String(code), (readStatuses.get(String(code)) ?? 0) + 1);
        if (code === 200 && Date.now() >= killAt && firstSuccessAt === undefined) readsDuringOutage += 1;
        await sleep(20);
      }
    })();
    await sleep(o.warmMs ?? 4000);
    const primaryNode = (await Promise.all(nodes.map(async (n) => ((await status(`http://127.0.0.1:${n.rest}/primary`)) === 200 ? n : undefined)))).find(
      Boolean,
    );
    if (!primaryNode) throw new Error('no primary to kill');
    const pid = procs.postmaster(primaryNode.dataDir);
    if (pid === undefined) throw new Error(`no postmaster.pid in ${primaryNode.dataDir}`);
    const before = sent.filter((s) => s.acknowledged).length;
    killAt = Date.now();
    process.kill(pid, 'SIGKILL');
    log(`SIGKILL to ${primaryNode.name}'s postmaster (pid ${pid}) after ${before} acknowledged transfers`);
    const other = nodes.find((n) => n !== primaryNode) as Cluster['nodes'][number];
    await phase(
      'HAProxy routing the primary port to the new primary',
      30_000,
      async () => {
        const up = await upServers(cluster, 'primary');
        if (up.includes(other.name) && switchAt === undefined) switchAt = Date.now();
        return switchAt !== undefined;
      },
      10,
    );
    await phase('the first transfer success after the kill', 60_000, async () => firstSuccessAt !== undefined, 10);
    await sleep(o.afterMs ?? 4000);
    stopAt = Date.now();
    await Promise.all([...workers, reader]);

    // The books, read on the new primary directly.
    const operator = new pg.Client({ connectionString: dbUrl(other.pg) });
    await operator.connect();
    try {
      await operator.query('SET search_path = wallet, public');
      const keys = sent.map((s) => s.key);
      const { rows } = await operator.query(
        "SELECT reference, count(*)::int AS n FROM wallet_transactions WHERE type = 'transfer_out' AND reference = ANY($1::text[]) GROUP BY reference",
        [keys],
      );
      const times = new Map(rows.map((r: { reference: string; n: number }) => [r.reference, r.n]));
      const missing = sent.filter((s) => s.acknowledged && times.get(s.key) !== 1).map((s) => s.key);
      const doubled = sent.filter((s) => (times.get(s.key) ?? 0) > 1).map((s) => s.key);
      const { rows: total } = await operator.query('SELECT sum(balance)::text AS total, min(balance) >= 0 AS nonneg FROM wallets WHERE id = ANY($1::uuid[])', [
        wallets,
      ]);
      const moneyConserved = total[0]?.total === String(FUNDS * BigInt(WALLETS)) && total[0]?.nonneg === true;
      const rec = await fetch(`${url}/api/v1/wallets/admin/reconciliation`, {
        headers: { authorization: `Bearer ${admin}` },
        signal: AbortSignal.timeout(60_000),
      });
      const report = (await rec.json()) as { ok?: boolean; problems?: unknown[] };
      if (!report.ok) log(`reconciliation: ${JSON.stringify(report).slice(0, 2000)}`);
      const levels: Record<string, number> = {};
      const causes: Record<string, number> = {};
      for (const line of serverLines) {
        let entry: { level?: number; msg?: string; cause?: { message?: string; code?: string } };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        // The request log's own line of each answer is info whatever its status: the 503s' lines are the rest.
        if ((entry.level ?? 0) < 40 || !/503|unavailable/i.test(line)) continue;
        levels[String(entry.level)] = (levels[String(entry.level)] ?? 0) + 1;
        const cause = `${entry.msg ?? ''}: ${entry.cause?.code ?? ''} ${entry.cause?.message ?? ''}`.trim();
        causes[cause] = (causes[cause] ?? 0) + 1;
      }
      return {
        acknowledged: sent.filter((s) => s.acknowledged).length,
        missing,
        doubled,
        unanswered: sent.filter((s) => !s.acknowledged).length,
        statuses: Object.fromEntries(statuses),
        readStatuses: Object.fromEntries(readStatuses),
        readsDuringOutage,
        moneyConserved,
        reconciliationOk: rec.status === 200 && report.ok === true,
        killToFirstSuccessMs: (firstSuccessAt as number) - killAt,
        // A success proves HAProxy routes to the new primary: the switch, seen by polling its
        // statistics (every 10 ms, plus the poll's own latency), is no later than that success.
        switchToFirstSuccessMs: switchAt === undefined ? null : (firstSuccessAt as number) - Math.min(switchAt, firstSuccessAt as number),
        killToSwitchMs: switchAt === undefined ? null : switchAt - killAt,
        oldPrimary: primaryNode.name,
        newPrimary: other.name,
        unavailableLogLevels: levels,
        unavailableCauses: causes,
      };
    } finally {
      await operator.end();
    }
  } catch (e) {
    for (const name of ['etcd', 'patroni-node1', 'patroni-node2', 'haproxy']) {
      try {
        log(
          `--- ${name}.log (tail)\n${readFileSync(join(dir, `${name}.log`), 'utf8')
            .split('\n')
            .slice(-15)
            .join('\n')}`,
        );
      } catch {
        // not started
      }
    }
    throw e;
  } finally {
    if (server?.pid !== undefined && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await procs.stopAll();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the contract asks of a run, each failed check as a sentence (none: the run passed). */
export function checkReport(r: FailoverReport): string[] {
  const failed: string[] = [];
  if (r.acknowledged === 0) failed.push('no transfer acknowledged');
  if (r.missing.length > 0) failed.push(`${r.missing.length} acknowledged transfers not in the books exactly once (${r.missing.slice(0, 5).join(', ')})`);
  if (r.doubled.length > 0) failed.push(`${r.doubled.length} transfers applied twice (${r.doubled.slice(0, 5).join(', ')})`);
  if (!r.moneyConserved) failed.push('money not conserved');
  if (!r.reconciliationOk) failed.push('reconciliation not clean');
  const refused = Object.entries(r.statuses).filter(([code]) => code !== '200' && code !== '503' && code !== 'no answer');
  if (refused.length > 0) failed.push(`transfers answered neither 200 nor 503: ${JSON.stringify(Object.fromEntries(refused))}`);
  const fiveHundreds = Object.entries({ ...r.statuses, ...r.readStatuses }).filter(([code]) => code.startsWith('5') && code !== '503');
  if (fiveHundreds.length > 0) failed.push(`answers other than 503 in the 5xx: ${JSON.stringify(Object.fromEntries(fiveHundreds))}`);
  if (r.killToFirstSuccessMs > 30_000) failed.push(`first success ${r.killToFirstSuccessMs} ms after the kill (contract: 30 s)`);
  if ((r.unavailableLogLevels['50'] ?? 0) + (r.unavailableLogLevels['60'] ?? 0) > 0) failed.push('503s logged at error level');
  return failed;
}
