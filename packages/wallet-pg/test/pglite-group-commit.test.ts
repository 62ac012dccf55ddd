import { createPgliteStore } from '../src/pglite/index.js';
import { describeGroupCommit } from './support/group-commit-cases.js';

describeGroupCommit('PGlite', { open: (options) => createPgliteStore(options) });
