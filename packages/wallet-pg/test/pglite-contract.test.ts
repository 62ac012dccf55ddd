import { describeStoreContract } from '@goodgo/wallet-core/testing';
import { createPgliteStore } from '../src/pglite/index.js';

describeStoreContract('PGlite', { setup: () => createPgliteStore() });
