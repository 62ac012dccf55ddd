/**
 * The page of the browser test: the built till (dist/index.js, bundled with its dependencies
 * except PGlite, which the page loads from its own files) on IndexedDB, driven from the test
 * through `window.till`.
 */
import { createTill, type Till } from '../../dist/index.js';

let till: Till | null = null;
const open = (): Till => {
  if (!till) throw new Error('call open first');
  return till;
};

const api = {
  async open(o: { tillId: string; baseUrl: string; token: string }): Promise<void> {
    till = await createTill({
      tillId: o.tillId,
      dataDir: 'idb://goodgo-till',
      server: { baseUrl: o.baseUrl, token: o.token },
      forwardTimeoutMs: 500,
      requestTimeoutMs: 3_000,
    });
  },
  provision: (walletId: string, amount: string) => open().provision({ walletId, amount }),
  spend: (walletId: string, amount: string, reference: string) => open().spend({ walletId, amount, reference }),
  sync: () => open().sync(),
  settle: (walletId: string) => open().settle({ walletId }),
  status: (walletId: string) => open().status({ walletId }),
  async refusal(walletId: string, amount: string): Promise<string | null> {
    try {
      await open().spend({ walletId, amount });
      return null;
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  },
};

(globalThis as unknown as { till: typeof api }).till = api;
