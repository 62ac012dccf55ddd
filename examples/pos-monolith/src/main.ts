/**
 * A day at a till, on the embedded PGlite store persisted under WALLET_DATA_DIR (default
 * ./.wallet-data): a top-up, two tables pre-authorised and settled for less than was held, points
 * earned and redeemed, and one item returned with its points. Run it twice: the second run starts
 * from the balances the first one left.
 *
 *   npm start -w examples/pos-monolith
 */
import { WalletService } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { Till } from './till.js';

const dataDir = process.env.WALLET_DATA_DIR ?? './.wallet-data';
const store = await createPgliteStore({ dataDir });
const wallets = new WalletService({ store, defaultCurrency: 'VND' });
const till = new Till(wallets, 'shop-hanoi-01');

try {
  const customer = 'cust-42';
  const run = Date.now().toString(36);
  const opening = await till.walletOf(customer);
  console.log(`Store: PGlite at ${dataDir}`);
  console.log(`Balance at start: ${opening.balance} ${opening.currency}`);

  const topped = await till.topUp(customer, '500000', `slip-${run}`);
  console.log(`Top-up 500000: balance ${topped.balance}`);

  // Table 1 opens: 150 000 reserved while the kitchen works; 125 000 was actually served.
  const tab1 = await till.preAuthorise({ id: `ord-${run}-1`, customerId: customer, estimate: '150000' });
  const held = await wallets.getWallet({ walletId: opening.id });
  console.log(`Table 1 pre-authorised ${tab1.hold.amount}: balance ${held.balance}, held ${held.heldAmount}, available ${held.availableBalance}`);
  const first = await till.settle(tab1, { served: '125000' });
  console.log('Table 1 settled:', first);

  // Table 2: 80 000 reserved, 60 000 served, 12 points redeemed.
  const tab2 = await till.preAuthorise({ id: `ord-${run}-2`, customerId: customer, estimate: '80000' });
  const second = await till.settle(tab2, { served: '60000', redeemPoints: 12 });
  console.log('Table 2 settled:', second);

  // A till that lost the answer retries the same bill: nothing is charged or rewarded twice.
  const retried = await till.settle(tab2, { served: '60000', redeemPoints: 12 });
  console.log(`Table 2 retried: charged ${retried.charged}, balance ${retried.walletBalance}`);

  // The customer brings one item of table 2 back: its price is refunded, the points it earned clawed back.
  const slip = await till.returnItem(second, { slipId: `ret-${run}-1`, amount: '20000', reason: 'cold coffee' });
  console.log('Item returned:', slip);

  const history = await wallets.listTransactions({ walletId: opening.id, limit: 6 });
  console.log('Latest wallet history:');
  for (const t of history.items)
    console.log(`  ${t.createdAt}  ${t.type.padEnd(10)} ${t.amount.padStart(8)}  → ${t.balanceAfter}${t.refundOf ? `  (refund of ${t.refundOf})` : ''}`);
  console.log(`Balance at end: ${slip.walletBalance} VND, points ${slip.pointsAvailable}`);
} finally {
  await store.close();
}
