// A logger whose output is kept in memory, for tests that assert on log lines.
import { PassThrough } from 'node:stream';
import { createLogger, type Logger, type LoggerOptions } from '../../src/logging/index.js';

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
