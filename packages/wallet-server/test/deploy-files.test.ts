import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
}

describe('deploy/compose.yml', () => {
  const compose = parse(read('deploy/compose.yml')) as { services: Record<string, ComposeService> };
  const wallet = compose.services.wallet as ComposeService;

  it('runs PostgreSQL, the service and Traefik, the service waiting for a healthy database', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'traefik', 'wallet']);
    expect(wallet.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('names only environment variables the server reads, DATABASE_URL and JWT_AUTHORITY from the environment', () => {
    const names = Object.keys(wallet.environment ?? {});
    expect(names.filter((n) => !variables.includes(n))).toEqual([]);
    expect(wallet.environment?.DATABASE_URL).toMatch(/^\$\{DATABASE_URL:-/);
    expect(wallet.environment?.JWT_AUTHORITY).toMatch(/^\$\{JWT_AUTHORITY:\?/);
    expect(wallet.environment?.NODE_ENV).toBe('production');
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
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    expect(at('USER node')).toBeGreaterThan(at('FROM node:20-bookworm-slim AS runtime'));
    expect(at('USER node')).toBeLessThan(at('CMD '));
  });

  it('checks /health/live, and runs node as PID 1 (exec form) so SIGTERM reaches it', () => {
    expect(lines[at('HEALTHCHECK') + 1]).toContain('/health/live');
    const cmd = JSON.parse((lines[at('CMD ')] as string).slice(4)) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('node_modules/@goodgo/wallet-server/dist/main.js');
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
