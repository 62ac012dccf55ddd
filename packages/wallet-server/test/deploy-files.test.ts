import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HAPROXY_LINES, PATRONI_DCS } from '../../../scripts/failover/harness.js';
import { configSchema } from '../src/config.js';

// No Docker engine runs here: what can be checked without one is checked. The image's start
// command itself runs from an npm-pack-installed tree in scripts/pack-smoke.mjs (a step of .ci/run).
const root = join(import.meta.dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const variables = Object.keys(configSchema.shape);

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  labels?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  restart?: string;
}

describe('deploy/compose.yml', () => {
  const compose = parse(read('deploy/compose.yml')) as { services: Record<string, ComposeService> };
  const wallet = compose.services.wallet as ComposeService;

  it('runs PostgreSQL, the service and Traefik, the service waiting for a healthy database', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'traefik', 'wallet']);
    expect(wallet.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('names only environment variables the server reads, DATABASE_URL, JWT_AUTHORITY and WALLET_LEDGER_KEY from the environment', () => {
    const names = Object.keys(wallet.environment ?? {});
    expect(names.filter((n) => !variables.includes(n))).toEqual([]);
    expect(wallet.environment?.DATABASE_URL).toMatch(/^\$\{DATABASE_URL:-/);
    expect(wallet.environment?.JWT_AUTHORITY).toMatch(/^\$\{JWT_AUTHORITY:\?/);
    expect(wallet.environment?.WALLET_LEDGER_KEY).toMatch(/^\$\{WALLET_LEDGER_KEY:\?/);
    expect(wallet.environment?.NODE_ENV).toBe('production');
  });

  it('restarts every service that stops unasked', () => {
    for (const [name, service] of Object.entries(compose.services)) expect([name, service.restart]).toEqual([name, 'unless-stopped']);
  });

  it('passes the relay, replica, pooler and hold settings through from the environment', () => {
    for (const name of [
      'DATABASE_READ_URL',
      'DATABASE_PREPARED_STATEMENTS',
      'WALLET_HOLD_TTL',
      'WALLET_IDEMPOTENCY_TTL',
      'WALLET_WEBHOOK_URLS',
      'WALLET_WEBHOOK_SECRET',
      'WALLET_AMQP_URL',
    ]) {
      expect(wallet.environment?.[name]).toMatch(new RegExp(`^\\$\\{${name}:-`));
    }
  });

  it('routes PathPrefix(/api/v1/wallets) to the service through Traefik, healthy instances only', () => {
    expect(wallet.labels).toEqual(
      expect.arrayContaining([
        'traefik.enable=true',
        'traefik.http.routers.wallet.rule=PathPrefix(`/api/v1/wallets`)',
        'traefik.http.services.wallet.loadbalancer.server.port=3000',
        'traefik.http.services.wallet.loadbalancer.healthcheck.path=/health/ready',
      ]),
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n');
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));

  it('builds in one stage and runs production dependencies only in another, as a non-root user', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBe(2);
    expect(at('USER node')).toBeGreaterThan(at('FROM node:22-bookworm-slim AS runtime'));
    expect(at('USER node')).toBeLessThan(at('CMD '));
  });

  it('installs from the lock file only (npm ci, then pruned), never resolving versions anew', () => {
    expect(dockerfile).toMatch(/npm ci --no-audit --no-fund/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).not.toMatch(/npm install/);
    // The lock file is in the build context.
    expect(read('.dockerignore').split('\n')).not.toContain('package-lock.json');
  });

  it('runs on a Node LTS that is still supported, both stages the same', () => {
    const bases = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(' ')[1]);
    expect(new Set(bases)).toEqual(new Set(['node:22-bookworm-slim']));
    // Node 20 reached its end of life in April 2026; 22 is supported to April 2027 (then 24).
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=20.19');
  });

  it('has reconcile and token as commands on the PATH', () => {
    const pkg = JSON.parse(read('packages/wallet-server/package.json')) as { bin: Record<string, string> };
    expect(pkg.bin['goodgo-wallet-reconcile']).toBe('./dist/reconcile.js');
    expect(pkg.bin['goodgo-wallet-token']).toBe('./dist/token.js');
    expect(dockerfile).toMatch(/PATH=\/app\/node_modules\/\.bin:\$PATH/);
  });

  it('checks /health/live, and runs node as PID 1 (exec form) so SIGTERM reaches it', () => {
    expect(lines[at('HEALTHCHECK') + 1]).toContain('/health/live');
    const cmd = JSON.parse((lines[at('CMD ')] as string).slice(4)) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('packages/wallet-server/dist/main.js');
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });

  it('keeps dependencies and build outputs out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });
});

describe('the deployment guide and the API document', () => {
  it.each(['docs/DEPLOY.md', 'docs/API.md'])('%s names every environment variable the server reads', (doc) => {
    const text = read(doc);
    expect(variables.filter((v) => !text.includes(`\`${v}\``))).toEqual([]);
  });
});

describe('deploy/failover: the Patroni + HAProxy variant', () => {
  const compose = parse(read('deploy/failover/compose.yml')) as { services: Record<string, ComposeService> };
  const wallet = compose.services.wallet as ComposeService;

  it('runs etcd, two Patroni nodes, HAProxy, the service and Traefik; the service reaches PostgreSQL only through HAProxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['etcd', 'haproxy', 'patroni1', 'patroni2', 'traefik', 'wallet']);
    expect(wallet.environment?.DATABASE_URL).toMatch(/@haproxy:5432\//);
    expect(wallet.environment?.DATABASE_READ_URL).toMatch(/@haproxy:5433\//);
    for (const name of Object.keys(wallet.environment ?? {})) expect(variables).toContain(name);
  });

  it('bootstraps Patroni and routes HAProxy as the failover harness that measured them does', () => {
    const patroni = parse(read('deploy/failover/patroni.yml')) as { bootstrap: { dcs: unknown } };
    expect(patroni.bootstrap.dcs).toEqual(PATRONI_DCS);
    const haproxy = read('deploy/failover/haproxy.cfg')
      .split('\n')
      .map((l) => l.trim());
    for (const line of HAPROXY_LINES) expect(haproxy).toContain(line);
  });
});
