// Keeps secrets out of logs: field values under secret-looking keys and registered secret strings.

export const REDACTED = '[redacted]';

// Keys whose values are secrets. Keys ending in `_file`/`File` name a path to a secret, not the secret.
const SECRET_KEY = /password|passwd|secret|token|salt/i;
const PATH_KEY = /(_file|File)$/;

// Deeper structures are cut off; log fields are meant to be flat-ish.
const MAX_DEPTH = 8;

const registeredSecrets = new Set<string>();
// Longest first, so a secret that contains another is replaced whole.
let secretsLongestFirst: string[] = [];

/** Remembers a secret value (e.g. the bind password once read) so it is scrubbed from every log line. */
export function registerSecret(value: string): void {
  if (value.length === 0 || registeredSecrets.has(value)) return;
  registeredSecrets.add(value);
  secretsLongestFirst = [...registeredSecrets].sort((a, b) => b.length - a.length);
}

/**
 * Forgets all registered secrets. Only tests need this (to start each test with none), so it lives beside
 * the registry it clears and is left out of the logging barrel.
 */
export function clearRegisteredSecrets(): void {
  registeredSecrets.clear();
  secretsLongestFirst = [];
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !PATH_KEY.test(key);
}

/** Replaces every occurrence of a registered secret in `text`. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const secret of secretsLongestFirst) {
    if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return scrubbed;
}

export interface SanitizeOptions {
  /** Whether Error values keep their stack (only at debug level). */
  includeStack: boolean;
}

/**
 * Turns arbitrary log fields into a JSON-safe copy with secrets removed: secret keys are redacted,
 * registered secrets are scrubbed from strings, Errors become their (scrubbed) message or stack.
 */
export function sanitizeFields(
  fields: Record<string, unknown>,
  options: SanitizeOptions,
): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    result[key] = isSecretKey(key) ? REDACTED : sanitizeValue(value, options, seen, 0);
  }
  return result;
}

function sanitizeValue(
  value: unknown,
  options: SanitizeOptions,
  seen: WeakSet<object>,
  depth: number,
): unknown {
  switch (typeof value) {
    case 'string':
      return scrubSecrets(value);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return null;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (value instanceof Error) return renderError(value, options);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => sanitizeValue(item, options, seen, depth + 1));
    const iterable: object =
      value instanceof Map
        ? (Object.fromEntries(value) as Record<string, unknown>)
        : value instanceof Set
          ? [...value]
          : value;
    if (Array.isArray(iterable)) return iterable.map((item) => sanitizeValue(item, options, seen, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(iterable)) {
      if (item === undefined) continue;
      copy[key] = isSecretKey(key) ? REDACTED : sanitizeValue(item, options, seen, depth + 1);
    }
    return copy;
  } finally {
    // Only ancestors count as circular; the same object twice side by side is fine.
    seen.delete(value);
  }
}

function renderError(error: Error, options: SanitizeOptions): string {
  if (options.includeStack && error.stack) return scrubSecrets(error.stack);
  return scrubSecrets(error.message);
}
