import { Writable } from 'node:stream';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** A pino logger whose lines the test reads back, each parsed. */
export function capturedLog(options: LoggerOptions): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino(options, sink), lines };
}
