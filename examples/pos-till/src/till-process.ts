/**
 * One till process: `tsx src/till-process.ts <step>` with the till's data directory, the service's
 * URL (through the shop's network) and a service token in the environment. Prints one JSON line
 * per event, for src/main.ts to read.
 *
 *   provision  opens an allowance for each wallet in TILL_WALLETS (online)
 *   sell       sells TILL_SALES (walletIndex:amount,…), then keeps running until it is killed
 *   close      forwards every sale, then settles every allowance (online)
 */
import { createTill, isTillError } from '@goodgo/wallet-till';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const print = (event: Record<string, unknown>) => console.log(JSON.stringify(event));

const wallets = env('TILL_WALLETS').split(',');
const till = await createTill({
  tillId: 'shop-7/till-1',
  dataDir: env('TILL_DATA_DIR'),
  server: { baseUrl: env('TILL_SERVER_URL'), token: env('TILL_TOKEN') },
  forwardTimeoutMs: 500,
});

const step = process.argv[2];
if (step === 'provision') {
  for (const walletId of wallets) {
    const allowance = await till.provision({ walletId, amount: env('TILL_ALLOWANCE') });
    print({ event: 'provisioned', walletId, allowanceId: allowance.id, amount: allowance.amount, spendUntil: allowance.spendUntil });
  }
  await till.close();
} else if (step === 'sell') {
  for (const [i, sale] of env('TILL_SALES').split(',').entries()) {
    const [index, amount] = sale.split(':') as [string, string];
    const walletId = wallets[Number(index)] as string;
    try {
      const r = await till.spend({ walletId, amount, reference: `sale-${process.pid}-${i}` });
      print({ event: 'sold', walletId, amount, seq: r.seq, remaining: r.remaining, forwarded: r.forwarded });
    } catch (e) {
      if (!isTillError(e)) throw e;
      print({ event: 'refused', walletId, amount, code: e.code });
    }
  }
  for (const walletId of wallets) print({ event: 'status', walletId, ...till.status({ walletId }) });
  print({ event: 'selling-done' });
  // The till keeps running, as a till does, until the process is stopped (or killed).
  await new Promise(() => undefined);
} else if (step === 'close') {
  const synced = await till.sync();
  print({ event: 'synced', ...synced });
  for (const walletId of wallets) {
    const settled = await till.settle({ walletId });
    print({ event: 'settled', walletId, spentAmount: settled.spentAmount, spendCount: settled.spendCount, status: settled.status });
  }
  await till.close();
} else {
  throw new Error(`unknown step ${step}`);
}
