import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loggerOptions } from '../../src/lib/logger.js';

/** A logger with the service's options at `level`, whose lines are kept in `lines` for a test to read. */
export function captureLogs(level = 'info'): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino(loggerOptions(level), sink) };
}
