/**
 * A small typed client of the wallet service. Every command carries an Idempotency-Key, so a
 * call that timed out or hit a 503 is retried with the same key and can never apply twice.
 */
import type { MovementResult, PointsResult, TransferResult, WalletTransactionView, WalletView, Page } from '@goodgo/wallet-core';

export class WalletApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  /** Attempts for a command on 503 or a network error. Default 3. */
  attempts?: number;
  fetch?: typeof fetch;
}

export class WalletClient {
  private readonly fetch: typeof fetch;
  constructor(private readonly o: ClientOptions) {
    this.fetch = o.fetch ?? fetch;
  }

  createWallet(currency?: string, key: string = crypto.randomUUID()): Promise<WalletView> {
    return this.command('/api/v1/wallets', currency ? { currency } : {}, key);
  }
  deposit(walletId: string, amount: string, reference?: string, key: string = crypto.randomUUID()): Promise<MovementResult> {
    return this.command('/api/v1/wallets/deposit', { walletId, amount, ...(reference ? { reference } : {}) }, key);
  }
  pay(walletId: string, amount: string, reference: string, key = `pay:${reference}`): Promise<MovementResult> {
    return this.command('/api/v1/wallets/withdraw', { walletId, amount, reference }, key);
  }
  transfer(fromWalletId: string, toWalletId: string, amount: string, key: string = crypto.randomUUID()): Promise<TransferResult> {
    return this.command('/api/v1/wallets/transfer', { fromWalletId, toWalletId, amount }, key);
  }
  earnPoints(userId: string, points: number, source: string, key = `earn:${source}`): Promise<PointsResult> {
    return this.command('/api/v1/wallets/points/earn', { userId, points, source }, key);
  }
  wallet(id: string): Promise<WalletView> {
    return this.request('GET', `/api/v1/wallets/${id}`);
  }
  history(id: string, limit = 50, cursor?: string): Promise<Page<WalletTransactionView>> {
    const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    return this.request('GET', `/api/v1/wallets/${id}/transactions?${q}`);
  }

  private async command<T>(path: string, body: unknown, key: string): Promise<T> {
    const attempts = this.o.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request<T>('POST', path, body, key);
      } catch (e) {
        const retryable = !(e instanceof WalletApiError) || e.status === 503;
        if (!retryable || attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
    const res = await this.fetch(new URL(path, this.o.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.o.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const payload = (await res.json()) as { code?: string; detail?: string };
    if (!res.ok) throw new WalletApiError(res.status, payload.code ?? 'UNKNOWN', payload.detail ?? res.statusText);
    return payload as T;
  }
}
