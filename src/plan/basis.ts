/** What a plan was based on: the digest of the effective config, computed the same way every time. */
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';

/** JSON with object keys sorted at every level, so equal configs give equal text whatever their order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the effective config. It holds no secrets: those come from files and env. */
export function configDigest(config: Config): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}
