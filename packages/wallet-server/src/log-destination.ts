import type { Writable } from 'node:stream';

/** What the log may hold unwritten before it drops lines: a stalled consumer costs at most this much memory. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export interface LogDestination {
  /** pino's destination: takes a line, never waits for the output. */
  write(line: string): void;
  /** Lines dropped because the output was this far behind, or gone. */
  readonly dropped: number;
  /** Resolves once what was buffered is written, or after `ms`, whichever comes first. */
  flush(ms: number): Promise<void>;
}

/**
 * The log's way out. pino's default destination flushes synchronously at exit, retrying on a
 * pipe that is full for as long as it stays full: with a consumer that stopped reading (a
 * supervisor, a log shipper, `| tee` stalled or going away) the process could never exit, and no
 * timer could run to end it. Here every write is the stream's own non-blocking one (stdout on a
 * pipe or socket is written by the event loop); what the consumer has not taken waits in memory
 * up to `maxBuffered` bytes, beyond which lines are dropped and counted, never waited for. A
 * consumer that went away (EPIPE) drops every later line.
 */
export function logDestination(out: Writable = process.stdout, maxBuffered = LOG_BUFFER_BYTES): LogDestination {
  let dropped = 0;
  let broken = false;
  out.on('error', () => {
    broken = true;
  });
  return {
    write(line: string) {
      if (broken || out.writableLength + line.length > maxBuffered) {
        dropped += 1;
        return;
      }
      out.write(line);
    },
    get dropped() {
      return dropped;
    },
    flush(ms: number) {
      if (broken || out.writableLength === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          out.off('drain', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        timer.unref();
        out.once('drain', done);
      });
    },
  };
}
