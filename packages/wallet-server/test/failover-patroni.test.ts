import { describe, expect, it } from 'vitest';
import { checkReport, runFailover, unavailableReason } from '../../../scripts/failover/harness.js';

// Minutes of a real cluster: run by `npm run test:failover` (and .ci/run), not by plain `npm test`.
const reason =
  process.env.WALLET_FAILOVER_TESTS !== '1' ? 'the failover suite runs with `npm run test:failover` (WALLET_FAILOVER_TESTS=1)' : unavailableReason();
if (reason) console.log(`[wallet-server] failover suite skipped: ${reason}`);

/**
 * Issue 21: Patroni (a primary and a synchronous standby), etcd and HAProxy from Debian on
 * loopback, the server against HAProxy, 16 workers of keyed transfers retrying on 503 or no
 * answer, the primary's postmaster SIGKILLed mid-load (scripts/failover/harness.ts).
 */
describe.runIf(!reason)('failover under load: the primary killed', () => {
  it(
    'loses no acknowledged transfer, doubles none, keeps the books whole, answers no 500, and serves again within the contract',
    { timeout: 600_000 },
    async () => {
      const report = await runFailover();
      console.log(
        `[failover] ${report.acknowledged} acknowledged; kill → first success ${report.killToFirstSuccessMs} ms, HAProxy switch → first success ${report.switchToFirstSuccessMs} ms; transfers ${JSON.stringify(report.statuses)}, reads ${JSON.stringify(report.readStatuses)}; 503 lines ${JSON.stringify(report.unavailableCauses)}`,
      );
      expect(report.missing).toEqual([]);
      expect(report.doubled).toEqual([]);
      expect(report.moneyConserved).toBe(true);
      expect(report.reconciliationOk).toBe(true);
      // Every check of the contract at once (no 500, no answer but 200 or 503, 503s as warnings, ≤ 30 s).
      expect(checkReport(report)).toEqual([]);
    },
  );
});
