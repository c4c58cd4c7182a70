// Renders one sanitized log record as a single line: JSON for machines, short text for people.

export interface LogRecord {
  time: Date;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

const CORE_KEYS = new Set(['time', 'level', 'message']);

/** One JSON object per line: `time`, `level`, `message`, then the structured fields. */
export function formatJsonLine(record: LogRecord): string {
  const line: Record<string, unknown> = {
    time: record.time.toISOString(),
    level: record.level,
    message: record.message,
  };
  for (const [key, value] of Object.entries(record.fields)) {
    // A field must not overwrite the core keys journald and log shippers rely on.
    line[CORE_KEYS.has(key) ? `field_${key}` : key] = value;
  }
  return JSON.stringify(line);
}

/** e.g. `12:03:04 info  import: 3 created, 1 deactivated  school=gym1` (local time). */
export function formatTextLine(record: LogRecord): string {
  const time = [record.time.getHours(), record.time.getMinutes(), record.time.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
  const head = `${time} ${record.level.padEnd(5)} ${record.message}`;
  const fields = Object.entries(record.fields).map(([key, value]) => `${key}=${formatTextValue(value)}`);
  return fields.length === 0 ? head : `${head}  ${fields.join(' ')}`;
}

function formatTextValue(value: unknown): string {
  if (typeof value === 'string') {
    // Quote only when needed, so `school=gym1` stays readable and `dn="uid=a b,…"` stays unambiguous.
    return value === '' || /[\s="]/.test(value) ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value) ?? String(value);
}
