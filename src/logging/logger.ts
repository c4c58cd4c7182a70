// The application logger: winston underneath, a thin interface on top so the rest of the code
// never depends on winston types.
import winston from 'winston';
import { formatJsonLine, formatTextLine, type LogRecord } from './format.js';
import { sanitizeFields, scrubSecrets } from './redact.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'auto' | 'text' | 'json';
export type LogFields = Record<string, unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a call's own fields win on conflict). */
  child(fields: LogFields): Logger;
  /** Resolves once everything logged so far has been handed to the output stream. */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  level: LogLevel;
  /** `auto`: text on a TTY, JSON lines otherwise. */
  format: LogFormat;
  /** Defaults to stderr: stdout is reserved for command output (plans, JSON). */
  stream?: NodeJS.WritableStream;
  /** Overrides TTY detection of `stream`. */
  isTTY?: boolean;
}

const WINSTON_LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
// winston (via triple-beam) reads the finished line from this well-known symbol.
const MESSAGE = Symbol.for('message');

export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const isTTY = options.isTTY ?? streamIsTTY(stream);
  const useText = options.format === 'text' || (options.format === 'auto' && isTTY);
  const render = useText ? formatTextLine : formatJsonLine;
  const includeStack = options.level === 'debug';

  // Redaction happens here, inside the format, so no transport ever sees an unsanitized record.
  const lineFormat = winston.format((info) => {
    const record: LogRecord = {
      time: new Date(),
      level: info.level,
      message: scrubSecrets(String(info.message)),
      fields: sanitizeFields(isFields(info.fields) ? info.fields : {}, { includeStack }),
    };
    info[MESSAGE] = render(record);
    return info;
  });

  const winstonLogger = winston.createLogger({
    levels: WINSTON_LEVELS,
    level: options.level,
    format: lineFormat(),
    transports: [new winston.transports.Stream({ stream, eol: '\n' })],
  });
  // A broken log output (e.g. a closed pipe) must not take the run down with it.
  winstonLogger.on('error', () => {});

  const write = (level: LogLevel, message: string, fields: LogFields): void => {
    winstonLogger.log({ level, message, fields });
  };
  const flush = () => flushStream(stream);
  return bindLogger(write, flush, {});
}

type WriteLine = (level: LogLevel, message: string, fields: LogFields) => void;

function bindLogger(write: WriteLine, flush: () => Promise<void>, bound: LogFields): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void =>
      write(level, message, fields ? { ...bound, ...fields } : bound);
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (fields) => bindLogger(write, flush, { ...bound, ...fields }),
    flush,
  };
}

function isFields(value: unknown): value is LogFields {
  return typeof value === 'object' && value !== null;
}

function streamIsTTY(stream: NodeJS.WritableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

async function flushStream(stream: NodeJS.WritableStream): Promise<void> {
  // winston passes records through its own stream pipeline, which may take a turn of the event loop.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if ('writableNeedDrain' in stream && stream.writableNeedDrain === true) {
    await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
}
