import { Worker } from 'node:worker_threads';

/**
 * Ends the process after `ms` even if its event loop never turns again (a synchronous call that
 * hangs, a tight loop): a timer on the main thread would wait for that thread, this one runs on a
 * worker thread of its own and sends SIGKILL. The worker does not keep the process alive.
 */
export function armShutdownBackstop(ms: number): void {
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);`,
    // No inherited loaders (--import …): the thread must start without the main thread's help.
    { eval: true, workerData: { pid: process.pid, ms }, execArgv: [], stdout: true, stderr: true },
  );
  worker.unref();
}
