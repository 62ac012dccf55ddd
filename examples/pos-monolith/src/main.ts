/**
 * One session at a till, on the embedded PGlite store persisted under WALLET_DATA_DIR (default
 * ./.wallet-data). Run it twice: the second run starts from the balances the first one left.
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

  const first = await till.checkout({ id: `ord-${run}-1`, customerId: customer, total: '125000' });
  console.log('Order 1:', first);

  const second = await till.checkout({ id: `ord-${run}-2`, customerId: customer, total: '60000', redeemPoints: 12 });
  console.log('Order 2:', second);

  // A till that lost the answer retries the same order: nothing is charged twice.
  const retried = await till.checkout({ id: `ord-${run}-2`, customerId: customer, total: '60000', redeemPoints: 12 });
  console.log('Order 2 retried:', retried);

  const history = await wallets.listTransactions({ walletId: opening.id, limit: 5 });
  console.log('Latest wallet history:');
  for (const t of history.items) console.log(`  ${t.createdAt}  ${t.type.padEnd(10)} ${t.amount.padStart(8)}  → ${t.balanceAfter}`);
  console.log(`Balance at end: ${retried.walletBalance} VND, points ${retried.pointsAvailable}`);
} finally {
  await store.close();
}
