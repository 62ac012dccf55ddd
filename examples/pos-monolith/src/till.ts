/**
 * A POS till as the GoodGo monolith embeds the wallet library: the till serves one shop. A table
 * opens with a pre-authorisation (a hold on the customer's wallet), is settled for what was
 * actually served (a capture, usually less than the hold; the rest is released), rewards the paid
 * amount with loyalty points that a later order may redeem, and takes back a returned item (a
 * partial refund of the capture, and the points that item earned clawed back from their lot).
 * Every call carries an idempotency key derived from the order or slip, so a till that retries
 * after a timeout can never charge, refund or reward twice. Points redeemed on an order are paid
 * with its money in one call (`pay`): both or neither, so nothing needs cleaning up by hand.
 */
import { WalletService, type HoldView, type WalletView } from '@goodgo/wallet-core';

export interface Order {
  id: string;
  customerId: string;
  /** Order total in đồng, as a decimal string. */
  total: string;
  /** Points the customer wants to redeem on this order (1 point = 1 000 đồng off). */
  redeemPoints?: number | undefined;
}

export interface Receipt {
  orderId: string;
  charged: string;
  pointsRedeemed: number;
  pointsEarned: number;
  walletBalance: string;
  pointsAvailable: number;
  /** The ledger row of the payment (a withdrawal or a capture): what a refund names. */
  paymentId: string | null;
  /** The points row of the reward: what a return claws points back from. */
  earnId: string | null;
}

/** An open table: the amount reserved on the customer's wallet until the bill is settled. */
export interface Tab {
  orderId: string;
  customerId: string;
  hold: HoldView;
}

export interface ReturnSlip {
  orderId: string;
  refunded: string;
  pointsReversed: number;
  /** Points the item earned that the customer had already spent: not clawed back. */
  pointsShortfall: number;
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
    const existing = (await this.wallets.listWallets({ userId: customerId })).find((w) => w.currency === 'VND' && w.status !== 'closed');
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

  /** Opens a table: reserves `estimate` of the wallet's available balance until the bill. */
  async preAuthorise(order: { id: string; customerId: string; estimate: string }): Promise<Tab> {
    const wallet = await this.walletOf(order.customerId);
    const hold = await this.wallets.placeHold(
      { walletId: wallet.id, amount: order.estimate, reference: order.id, description: `Pre-authorisation at ${this.shopId}` },
      { idempotencyKey: `hold:${order.id}` },
    );
    return { orderId: order.id, customerId: order.customerId, hold };
  }

  /**
   * Settles a tab for what was served, and rewards the paid amount with points. Without points,
   * the bill is captured from the hold (the remainder is released). With points, the hold is
   * released and the bill paid with money and points in one call: a capture cannot carry points,
   * and two calls could half-succeed. Should that payment be refused, the tab is unpaid and its
   * hold already released: the customer pays another way, and nothing was taken.
   */
  async settle(tab: Tab, bill: { served: string; redeemPoints?: number | undefined }): Promise<Receipt> {
    const order = { id: tab.orderId, customerId: tab.customerId, total: bill.served, redeemPoints: bill.redeemPoints };
    if ((bill.redeemPoints ?? 0) === 0) {
      const captured = await this.wallets.captureHold(
        { holdId: tab.hold.id, amount: bill.served, description: `Order ${tab.orderId} at ${this.shopId}` },
        { idempotencyKey: `capture:${tab.orderId}` },
      );
      return this.reward(order, 0, BigInt(bill.served), { wallet: captured.wallet, paymentId: captured.transaction.id });
    }
    await this.wallets.voidHold({ holdId: tab.hold.id, reason: 'Settled with points' }, { idempotencyKey: `void:${tab.orderId}` });
    return this.checkout(order);
  }

  /** Pays an order straight from the wallet (no table): redeemed points and the rest in money, in one call; rewards what was paid. */
  async checkout(order: Order): Promise<Receipt> {
    const wallet = await this.walletOf(order.customerId);
    const redeem = order.redeemPoints ?? 0;
    let due = BigInt(order.total) - BigInt(redeem) * DONG_PER_POINT;
    if (due < 0n) due = 0n;
    const key = { idempotencyKey: `pay:${order.id}` };
    const description = `Order ${order.id} at ${this.shopId}`;
    if (due === 0n) {
      // Points alone: one ledger, nothing that could half-succeed.
      if (redeem > 0) await this.wallets.spendPoints({ userId: order.customerId, points: redeem, source: `order:${order.id}`, description }, key);
      return this.reward(order, redeem, due, { wallet, paymentId: null });
    }
    const paid = await this.wallets.pay(
      { walletId: wallet.id, amount: due.toString(), ...(redeem > 0 ? { points: redeem } : {}), reference: order.id, description },
      key,
    );
    return this.reward(order, redeem, due, { wallet: paid.wallet, paymentId: paid.transaction.id });
  }

  /**
   * Takes back a returned item: refunds its price from the order's payment (never more than was
   * paid, over all returns of the order), and claws back the points that price earned, from what
   * is left of the order's reward (points already spent are reported, not taken below zero).
   */
  async returnItem(receipt: Receipt, item: { slipId: string; amount: string; reason: string }): Promise<ReturnSlip> {
    if (receipt.paymentId === null) throw new Error(`Order ${receipt.orderId} was paid with points only: nothing to refund`);
    const refunded = await this.wallets.refund(
      { transactionId: receipt.paymentId, amount: item.amount, reason: item.reason, reference: item.slipId },
      { idempotencyKey: `return:${item.slipId}` },
    );
    const points = Number(BigInt(item.amount) / SPEND_PER_POINT_EARNED);
    let pointsReversed = 0;
    let pointsShortfall = 0;
    let pointsAvailable = (await this.wallets.getPointAccount({ userId: refunded.wallet.userId }).catch(() => null))?.availablePoints ?? 0;
    if (points > 0 && receipt.earnId !== null) {
      const reversed = await this.wallets.reversePoints(
        { transactionId: receipt.earnId, points, reason: `Item returned: ${item.reason}` },
        { idempotencyKey: `return-points:${item.slipId}` },
      );
      pointsReversed = -reversed.transaction.points;
      pointsShortfall = reversed.shortfall;
      pointsAvailable = reversed.account.availablePoints;
    }
    return {
      orderId: receipt.orderId,
      refunded: refunded.transaction.amount,
      pointsReversed,
      pointsShortfall,
      walletBalance: refunded.wallet.balance,
      pointsAvailable,
    };
  }

  /** Rewards what was paid in money with points, and writes the receipt. */
  private async reward(order: Order, redeem: number, due: bigint, paid: { wallet: WalletView; paymentId: string | null }): Promise<Receipt> {
    const earned = Number(due / SPEND_PER_POINT_EARNED);
    let available = (await this.wallets.getPointAccount({ userId: order.customerId }).catch(() => null))?.availablePoints ?? 0;
    let earnId: string | null = null;
    if (earned > 0) {
      const { account, transaction } = await this.wallets.earnPoints(
        { userId: order.customerId, points: earned, source: `order:${order.id}`, description: `Order at ${this.shopId}` },
        { idempotencyKey: `earn:${order.id}` },
      );
      available = account.availablePoints;
      earnId = transaction.id;
    }
    return {
      orderId: order.id,
      charged: due.toString(),
      pointsRedeemed: redeem,
      pointsEarned: earned,
      walletBalance: paid.wallet.balance,
      pointsAvailable: available,
      paymentId: paid.paymentId,
      earnId,
    };
  }
}
