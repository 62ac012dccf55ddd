/**
 * A POS till as the GoodGo monolith embeds the wallet library: the till serves one shop, sells
 * orders paid from the customer's wallet, and rewards each paid order with loyalty points that
 * the next order may spend. Every call carries an idempotency key derived from the order, so a
 * till that retries after a timeout can never charge twice.
 */
import { WalletService, type WalletView } from '@goodgo/wallet-core';

export interface Order {
  id: string;
  customerId: string;
  /** Order total in đồng, as a decimal string. */
  total: string;
  /** Points the customer wants to redeem on this order (1 point = 1 000 đồng off). */
  redeemPoints?: number;
}

export interface Receipt {
  orderId: string;
  charged: string;
  pointsRedeemed: number;
  pointsEarned: number;
  walletBalance: string;
  pointsAvailable: number;
}

const DONG_PER_POINT = 1000n;
const SPEND_PER_POINT_EARNED = 10_000n;

export class Till {
  constructor(
    private readonly wallets: WalletService,
    private readonly shopId: string,
  ) {}

  /** The customer's VND wallet, opened on first use. */
  async walletOf(customerId: string): Promise<WalletView> {
    const existing = (await this.wallets.listWallets({ userId: customerId })).find((w) => w.currency === 'VND');
    return existing ?? this.wallets.createWallet({ userId: customerId, currency: 'VND' }, { idempotencyKey: `open:${customerId}:VND` });
  }

  /** Cash handed over the counter becomes wallet balance. */
  async topUp(customerId: string, amount: string, slipId: string): Promise<WalletView> {
    const wallet = await this.walletOf(customerId);
    const { wallet: after } = await this.wallets.deposit(
      { walletId: wallet.id, amount, description: `Top-up at ${this.shopId}`, reference: slipId },
      { idempotencyKey: `topup:${slipId}` },
    );
    return after;
  }

  /** Redeems points, charges the rest to the wallet, then rewards the paid amount with points. */
  async checkout(order: Order): Promise<Receipt> {
    const wallet = await this.walletOf(order.customerId);
    const redeem = order.redeemPoints ?? 0;
    let due = BigInt(order.total);
    if (redeem > 0) {
      await this.wallets.spendPoints(
        { userId: order.customerId, points: redeem, source: `order:${order.id}`, description: 'Redeemed at checkout' },
        { idempotencyKey: `redeem:${order.id}` },
      );
      due -= BigInt(redeem) * DONG_PER_POINT;
      if (due < 0n) due = 0n;
    }
    let balance = wallet.balance;
    if (due > 0n) {
      try {
        const paid = await this.wallets.withdraw(
          { walletId: wallet.id, amount: due.toString(), description: `Order ${order.id} at ${this.shopId}`, reference: order.id },
          { idempotencyKey: `pay:${order.id}` },
        );
        balance = paid.wallet.balance;
      } catch (e) {
        // Points and money live in two ledgers, so a failed payment gives the redeemed points
        // back with a reversing entry (keyed by the order, so a retry returns them once).
        if (redeem > 0) {
          await this.wallets.adjustPoints(
            { userId: order.customerId, points: redeem, source: `order:${order.id}`, description: 'Redeemed points returned: payment failed' },
            { idempotencyKey: `unredeem:${order.id}` },
          );
        }
        throw e;
      }
    }
    const earned = Number(due / SPEND_PER_POINT_EARNED);
    let available = (await this.wallets.getPointAccount({ userId: order.customerId }).catch(() => null))?.availablePoints ?? 0;
    if (earned > 0) {
      const { account } = await this.wallets.earnPoints(
        { userId: order.customerId, points: earned, source: `order:${order.id}`, description: `Order at ${this.shopId}` },
        { idempotencyKey: `earn:${order.id}` },
      );
      available = account.availablePoints;
    }
    return { orderId: order.id, charged: due.toString(), pointsRedeemed: redeem, pointsEarned: earned, walletBalance: balance, pointsAvailable: available };
  }
}
