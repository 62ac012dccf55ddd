import { MemoryWalletStore } from '../src/index.js';
import { describeStoreContract } from '../src/testing/index.js';

describeStoreContract('memory', { setup: async () => new MemoryWalletStore() });
