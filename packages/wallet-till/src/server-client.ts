import { ServiceUnavailableError } from '@goodgo/wallet-core';
import { ServerProblemError, type Problem } from './errors.js';

export interface ServerOptions {
  /** The wallet service's origin, e.g. `https://pay.example.com`; the routes live under `/api/v1/wallets`. */
  baseUrl: string;
  /** A bearer token with the `service` role, or a function returning a fresh one for each request. */
  token: string | (() => Promise<string>);
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
}

export interface Answer<T> {
  body: T;
  /** The service's clock from the `Date` header (whole seconds), when it sent one. */
  serverDate: number | null;
}

export interface RequestOptions {
  idempotencyKey?: string;
  timeoutMs: number;
}

/**
 * The till's only way out: JSON over fetch (the same in Node and a browser). A request that gets
 * no answer (refused, cut, or silent past its timeout) is the library's ServiceUnavailableError,
 * as is a 503 or a gateway's 502/504; any other refusal is a ServerProblemError with the service's code.
 */
export class ServerClient {
  private readonly fetch: typeof fetch;
  constructor(private readonly options: ServerOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async request<T>(method: 'GET' | 'POST', path: string, body: unknown, options: RequestOptions): Promise<Answer<T>> {
    const token = typeof this.options.token === 'string' ? this.options.token : await this.options.token();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const send = async (): Promise<{ res: Response; text: string }> => {
      const res = await this.fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // The body too: a connection cut after the headers is no answer either.
      return { res, text: await res.text() };
    };
    let res: Response;
    let text: string;
    try {
      ({ res, text } = await send().catch((e: unknown) => {
        // A kept-alive connection may have died while idle (reset by the network): tried once
        // more at once, on a new one. Every request of the till may be sent twice (sync by seq,
        // the rest by idempotency key). A timeout is not retried: it has waited its time.
        if (isTimeout(e)) throw e;
        return send();
      }));
    } catch (e) {
      throw new ServiceUnavailableError(`No answer from the wallet service for ${method} ${path}`, { cause: e });
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      throw new ServiceUnavailableError(`The wallet service answered ${res.status} for ${method} ${path}`);
    }
    const parsed = parseJson(text);
    if (!res.ok) {
      const problem = isProblem(parsed) ? parsed : { status: res.status, code: 'INTERNAL_ERROR', detail: text.slice(0, 200) };
      throw new ServerProblemError(problem);
    }
    const date = res.headers.get('date');
    return { body: parsed as T, serverDate: date ? Date.parse(date) || null : null };
  }
}

function isTimeout(e: unknown): boolean {
  return e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && typeof (v as Problem).code === 'string' && typeof (v as Problem).status === 'number';
}
