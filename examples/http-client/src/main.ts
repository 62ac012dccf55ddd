/**
 * Drives a running wallet service: `npm start` at the root in one terminal, then
 * `npm start -w examples/http-client` in another. In development mode it mints its own tokens
 * with the development secret; otherwise set WALLET_SERVICE_TOKEN and WALLET_USER_TOKEN.
 */
import { mintToken } from '@goodgo/wallet-server';
import { WalletClient } from './client.js';

const baseUrl = process.env.WALLET_URL ?? 'http://localhost:3000';
const run = Date.now().toString(36);
const customer = `cust-${run}`;
const serviceToken = process.env.WALLET_SERVICE_TOKEN ?? (await mintToken({ sub: 'pos-backend', roles: ['service'] }));
const userToken = process.env.WALLET_USER_TOKEN ?? (await mintToken({ sub: customer }));

const pos = new WalletClient({ baseUrl, token: serviceToken });
const me = new WalletClient({ baseUrl, token: userToken });

const wallet = await me.createWallet('VND', `open:${run}`);
console.log(`Created wallet ${wallet.id} for ${customer}`);
await pos.deposit(wallet.id, '300000', `slip-${run}`, `topup:${run}`);
const paid = await me.pay(wallet.id, '125000', `ord-${run}`);
// The same payment again, as a till would send it after a timeout: answered, not charged twice.
const again = await me.pay(wallet.id, '125000', `ord-${run}`);
console.log(`Paid 125000: balance ${paid.wallet.balance}; retry answered balance ${again.wallet.balance}`);
await pos.earnPoints(customer, 12, `order:ord-${run}`);
const history = await me.history(wallet.id);
for (const t of history.items) console.log(`  ${t.type.padEnd(10)} ${t.amount.padStart(8)} → ${t.balanceAfter}`);
