/** autocannon as the HTTP sections drive it: one load on one server, its rate, latency and peak RSS. */
import autocannon from 'autocannon';
import { mintToken } from '@goodgo/wallet-server';
import { rssMiB } from './processes.js';
import { round } from './stats.js';

/** The JWT secret every benchmarked server is started with. */
export const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
/** Load generator connections, and the library's callers in the same comparison. */
export const CONNECTIONS = 64;

/** A `service` token for `sub`, valid for the run. */
export const serviceToken = (sub: string): Promise<string> => mintToken({ sub, roles: ['service'], secret: SECRET, expiresIn: '1h' });

export interface Cannon {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Requests answered in the run (a rate's denominator for CPU per answer). */
  total: number;
  maxRssMiB: number;
}

/** What each request is: a POST of a fresh JSON body, or a GET of a fresh path. */
export type Requests = { body: () => unknown } | { path: () => string };

/** `connections` callers for `seconds`; with `pid`, that process's RSS is sampled for its peak. */
export async function cannon(url: string, token: string | null, connections: number, seconds: number, requests: Requests, pid?: number): Promise<Cannon> {
  let maxRss = 0;
  const sampler = pid ? setInterval(() => (maxRss = Math.max(maxRss, rssMiB(pid))), 200) : undefined;
  const auth = token ? { authorization: `Bearer ${token}` } : {};
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    ...('body' in requests
      ? {
          method: 'POST' as const,
          headers: { 'content-type': 'application/json', ...auth },
          requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(requests.body()) }) }],
        }
      : { method: 'GET' as const, headers: auth, requests: [{ setupRequest: (req) => ({ ...req, path: requests.path() }) }] }),
  });
  if (sampler) clearInterval(sampler);
  return {
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
    maxRssMiB: round(maxRss, 1),
  };
}

export const fmt = (c: Cannon) =>
  `${round(c.perSecond)}/s p50 ${c.p50} ms p99 ${c.p99} ms${c.non2xx ? ` (${c.non2xx} non-2xx)` : ''}${c.errors ? ` (${c.errors} errors)` : ''}`;
