export {
  type AuditEntry,
  type AuditLine,
  AuditLog,
  type AuditLogOptions,
  type AuditSink,
  auditLine,
  isPasswordAttribute,
  NullAuditLog,
} from './audit.js';
export { formatJsonLine, formatTextLine, type LogRecord } from './format.js';
export {
  createLogger,
  LOG_LEVELS,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.js';
export { isSecretKey, REDACTED, registerSecret, sanitizeFields, scrubSecrets } from './redact.js';
export { newRunId } from './run-id.js';
