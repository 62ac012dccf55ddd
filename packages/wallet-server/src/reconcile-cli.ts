#!/usr/bin/env node
/**
 * `npm run reconcile`: checks the books of the database the environment names (DATABASE_URL, or
 * the PGlite directory WALLET_DATA_DIR), prints the report as JSON, and exits 0 when the books
 * balance, 1 when problems were found, 2 when the check could not run. `--routine` checks only
 * what was written since the last checkpoint; `--checkpoint` then publishes a signed checkpoint of
 * the chain heads it walked. See docs/operations.md.
 */
import { WalletService } from '@goodgo/wallet-core';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { openStore } from './server.js';

const logger = pino({ level: 'silent' });
const args = process.argv.slice(2);
try {
  const unknown = args.filter((a) => a !== '--routine' && a !== '--checkpoint');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')} (use --routine, --checkpoint)`);
  const config = loadConfig();
  const store = await openStore(config, logger);
  try {
    const report = await new WalletService({ store }).reconcile({ incremental: args.includes('--routine'), checkpoint: args.includes('--checkpoint') });
    console.log(JSON.stringify(report, null, 2));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
} catch (e) {
  console.error(`reconciliation could not run: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
