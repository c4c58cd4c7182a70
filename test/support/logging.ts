// Loggers and audit sinks for tests: one that discards, ones that keep what was written to assert on.
import { PassThrough } from 'node:stream';
import {
  type AuditEntry,
  type AuditSink,
  createLogger,
  type Logger,
  type LoggerOptions,
} from '../../src/logging/index.js';

// Not in the logging barrel: only tests reset the secrets registry.
export { clearRegisteredSecrets } from '../../src/logging/redact.js';

/** Discards everything; for tests that do not look at logs. */
export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silentLogger,
  flush: () => Promise.resolve(),
};

/** Keeps entries in memory; for tests that assert on what was audited. */
export class MemoryAuditLog implements AuditSink {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A logger whose output is kept in memory, for tests that assert on log lines. */
export interface CapturedLogger {
  logger: Logger;
  /** The lines written so far (after letting the logger flush). */
  lines: () => Promise<string[]>;
}

export function captureLogger(options: Partial<Omit<LoggerOptions, 'stream'>> = {}): CapturedLogger {
  const stream = new PassThrough();
  let output = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    output += chunk;
  });
  const logger = createLogger({
    level: options.level ?? 'debug',
    format: options.format ?? 'json',
    isTTY: options.isTTY ?? false,
    stream,
  });
  return {
    logger,
    async lines() {
      await logger.flush();
      return output.split('\n').filter((line) => line.length > 0);
    },
  };
}
