import { ConfigError } from './errors.js';
import type { Config } from './schema.js';
import { validateConfig } from './validate.js';

/** Validates one raw value (no layering, no path resolution); every problem is attributed to `source`. */
export function parseConfig(raw: unknown, source: string): Config {
  const result = validateConfig(raw, () => source);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}
