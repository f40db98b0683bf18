import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { traceLogFields } from '../../common/trace-context.ts';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLogs {
  /** Give it to the host; what it logs at `level` and above lands in `records`. */
  logger: Logger;
  records: LogRecord[];
  /** Records whose message contains `text`. */
  matching(text: string): LogRecord[];
}

/** A logger that keeps its records in memory, so a test can assert what the platform logged. */
export function captureLogs(level = 'warn'): CapturedLogs {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return {
    // The trace ids as the platform's logger adds them (common/logger.ts).
    logger: pino({ level, mixin: traceLogFields }, sink),
    records,
    matching: (text) => records.filter((record) => record.msg.includes(text)),
  };
}
