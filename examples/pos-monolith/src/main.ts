/** Runs one day at a till: `npm start -w examples/pos-monolith`. */
import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { Till } from './till.js';

const wallets = new WalletService({ store: new MemoryWalletStore(), defaultCurrency: 'VND' });
const till = new Till(wallets, 'shop-hanoi-01');

const topped = await till.topUp('cust-42', '500000', 'slip-0001');
console.log(`Top-up: balance ${topped.balance} ${topped.currency}`);

const first = await till.checkout({ id: 'ord-1001', customerId: 'cust-42', total: '125000' });
console.log('Order 1:', first);

const second = await till.checkout({ id: 'ord-1002', customerId: 'cust-42', total: '60000', redeemPoints: 12 });
console.log('Order 2:', second);

// A till that lost the answer retries the same order: nothing is charged twice.
const retried = await till.checkout({ id: 'ord-1002', customerId: 'cust-42', total: '60000', redeemPoints: 12 });
console.log('Order 2 retried:', retried);

const history = await wallets.listTransactions({ walletId: (await till.walletOf('cust-42')).id });
for (const t of history.items) console.log(`  ${t.createdAt}  ${t.type.padEnd(10)} ${t.amount.padStart(8)}  → ${t.balanceAfter}`);
