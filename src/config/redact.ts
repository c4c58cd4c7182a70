import { stringify } from 'yaml';
import { formatMaxDeletions } from './max-deletions.js';
import type { Config } from './schema.js';

export const REDACTED = '[redacted]';

/** Keys whose value is a secret itself (a path to a secret, `*_file`, is fine to show). */
const SECRET_KEY = /(^|_)(password|passwd|secret|token|salts?|credentials?|api_key)$/i;

/** `csv.mapping` keys are column headers (a column may well be called "password"), not secrets. */
const NOT_SECRET_CONTAINERS = new Set(['csv.mapping']);

/**
 * A deep copy safe to print or log: secret values are replaced by `[redacted]`, and so is any
 * `user:password@` inside a URL.
 */
export function redactConfig(config: Config): unknown {
  return redactDeep(config, []);
}

function redactDeep(value: unknown, path: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, path));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, redactDeep(child, [...path, key])]),
    );
  }
  const key = path[path.length - 1];
  const container = path.slice(0, -1).join('.');
  const isSecret = key !== undefined && SECRET_KEY.test(key) && !NOT_SECRET_CONTAINERS.has(container);
  if (isSecret && (typeof value === 'string' || typeof value === 'number')) return REDACTED;
  if (typeof value === 'string')
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`);
  return value;
}

/** The effective configuration as an admin would write it (for `rostersync config check`), redacted. */
export function renderEffectiveConfig(config: Config, format: 'yaml' | 'json'): string {
  const fileForm = {
    ...config,
    safety: { ...config.safety, max_deletions: formatMaxDeletions(config.safety.max_deletions) },
  };
  const redacted = redactDeep(fileForm, []);
  return format === 'json' ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted);
}
