import type { SqlDriver } from '../../src/driver.js';

/**
 * Holds a wallet's row FOR UPDATE from another connection (another store's driver, as another
 * instance would) until the returned function is called: the way a test makes a batch meet a row
 * it cannot lock.
 */
export async function holdWalletRow(driver: SqlDriver, walletId: string): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  let locked: () => void = () => undefined;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = driver.transaction(async (s) => {
    await s.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
    locked();
    await new Promise<void>((r) => (release = r));
  });
  await isLocked;
  return async () => {
    release();
    await done;
  };
}
