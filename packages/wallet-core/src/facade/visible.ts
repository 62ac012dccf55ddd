/**
 * The one "hidden from this user" rule: someone else's wallet or account reads as one that does
 * not exist, with the not-found error of whatever the caller named (a wallet, a hold, a row).
 */
import { PointAccountNotFoundError, WalletNotFoundError } from '../errors.js';
import type { PointAccount } from '../points/point-account.js';
import type { UnitOfWork } from '../store.js';
import type { Wallet } from '../wallet/wallet.js';
import type { FacadeEnv } from './env.js';

export function visible<T extends { readonly userId: string }>(found: T | null | undefined, asUser: string | undefined, notFound: () => Error): T {
  if (!found || (asUser !== undefined && asUser !== found.userId)) throw notFound();
  return found;
}

/** A wallet the caller may see, with the holds that count at `asOf` (the rest are none of a reader's business). */
export async function visibleWallet(
  env: FacadeEnv,
  walletId: string,
  asUser: string | undefined,
  notFound: () => Error = () => new WalletNotFoundError(walletId),
  asOf: Date = env.clock(),
): Promise<Wallet> {
  return visible(await env.store.getWallet(walletId, asOf), asUser, notFound);
}

export async function visibleAccount(env: FacadeEnv, userId: string): Promise<PointAccount> {
  return visible(await env.store.getPointAccount(userId), undefined, () => new PointAccountNotFoundError(userId));
}

/** Locks one wallet the caller may see. */
export async function lockWallet(uow: UnitOfWork, walletId: string, asUser: string | undefined): Promise<Wallet> {
  return visible((await uow.lockWallets([walletId])).get(walletId), asUser, () => new WalletNotFoundError(walletId));
}
