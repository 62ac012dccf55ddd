/**
 * `npm run failover` runs the failover harness once and prints its report as JSON; it exits 1 when
 * a check fails, 0 when it passes, and 0 with the reason when the harness cannot run here.
 */
import { checkReport, runFailover, unavailableReason } from './harness.js';

const reason = unavailableReason();
if (reason) {
  console.log(`[failover] skipped: ${reason}`);
} else {
  const report = await runFailover();
  console.log(JSON.stringify(report, null, 2));
  const failed = checkReport(report);
  if (failed.length > 0) {
    console.error(`[failover] FAILED: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
}
