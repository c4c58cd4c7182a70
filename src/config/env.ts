import { parseDocument } from 'yaml';
import type { ConfigIssue } from './errors.js';
import { expectsText, knownKeysAt } from './introspect.js';
import { type ConfigLayer, type RawObject, setOwn } from './layers.js';

/**
 * `ROSTERSYNC_*` environment variables as config layers: `ROSTERSYNC_LDAP__BIND_DN` sets `ldap.bind_dn`
 * (`__` between levels). Each variable is its own layer so that problems name the variable.
 */

export const ENV_PREFIX = 'ROSTERSYNC_';

/**
 * Variables with the prefix that are not config keys: read by the CLI and `readBindPassword`, or by the
 * shipped hook modules (`ROSTERSYNC_WEBHOOK_URL`).
 */
export const NON_CONFIG_ENV_VARS: ReadonlySet<string> = new Set([
  'ROSTERSYNC_NOW',
  'ROSTERSYNC_CONFIG',
  'ROSTERSYNC_LDAP_BIND_PASSWORD',
  'ROSTERSYNC_WEBHOOK_URL',
]);

/** Integrators' hook modules may read their own settings from `ROSTERSYNC_HOOK_*` variables. */
export const HOOK_ENV_PREFIX = 'ROSTERSYNC_HOOK_';

function isConfigVariable(name: string): boolean {
  return name.startsWith(ENV_PREFIX) && !NON_CONFIG_ENV_VARS.has(name) && !name.startsWith(HOOK_ENV_PREFIX);
}

export function envSource(name: string): string {
  return `env ${name}`;
}

export function envLayers(
  env: NodeJS.ProcessEnv,
  cwd: string,
): { layers: ConfigLayer[]; issues: ConfigIssue[] } {
  const layers: { depth: number; layer: ConfigLayer }[] = [];
  const issues: ConfigIssue[] = [];
  const names = Object.keys(env).filter(isConfigVariable).sort();
  for (const name of names) {
    const text = env[name] ?? '';
    const source = envSource(name);
    const segments = name.slice(ENV_PREFIX.length).split('__');
    if (segments.some((segment) => segment === '')) {
      issues.push({
        source,
        path: '',
        message: 'not a config key (use __ between key levels, e.g. ROSTERSYNC_LDAP__URL)',
      });
      continue;
    }
    const path = keyPathOf(segments);
    const misnested = misnestedName(name, path);
    if (misnested !== undefined) {
      issues.push({
        source,
        path: '',
        message: `not a config key: did you mean ${misnested}? (__ between key levels)`,
      });
      continue;
    }
    layers.push({
      depth: path.length,
      layer: { source, baseDir: cwd, values: nest(path, envValue(path, text)) },
    });
  }
  // Broader variables first, so `ROSTERSYNC_LDAP__URL` wins over a `url` inside `ROSTERSYNC_LDAP`.
  layers.sort((a, b) => a.depth - b.depth);
  return { layers: layers.map(({ layer }) => layer), issues };
}

/**
 * `ROSTERSYNC_LDAP_URL` for `ROSTERSYNC_LDAP__URL`: a first segment that is no key, but a key, `_` and more
 * (keys hold `_` themselves: `source_uid`). The name meant, or undefined.
 */
function misnestedName(name: string, path: readonly string[]): string | undefined {
  const top = knownKeysAt([]) ?? [];
  const [first = ''] = path;
  if (top.includes(first)) return undefined;
  // The longest key that fits: `deletion_grace_period_deletion` is `deletion_grace_period` + `deletion`.
  const key = top
    .filter((known) => first.startsWith(`${known}_`) && knownKeysAt([known]) !== undefined)
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) return undefined;
  const rest = name.slice(ENV_PREFIX.length + key.length + 1);
  return `${ENV_PREFIX}${key.toUpperCase()}__${rest}`;
}

/** Upper-case segments → schema keys, matched case-insensitively (e.g. camelCase attribute names). */
function keyPathOf(segments: readonly string[]): string[] {
  const path: string[] = [];
  for (const segment of segments) {
    const known = knownKeysAt(path) ?? [];
    path.push(known.find((key) => key.toLowerCase() === segment.toLowerCase()) ?? segment.toLowerCase());
  }
  return path;
}

/**
 * Text keys take the value verbatim (cron expressions, `|`, DNs); others read it as a YAML scalar or flow value,
 * so numbers, booleans and `[a, b]` lists work. An empty value removes the key.
 */
function envValue(path: readonly string[], text: string): unknown {
  if (expectsText(path)) return text;
  if (text.trim() === '') return null;
  const document = parseDocument(text);
  if (document.errors.length > 0) return text;
  const value: unknown = document.toJS();
  return value === null || value === undefined ? text : value;
}

function nest(path: readonly string[], value: unknown): RawObject {
  const root: RawObject = {};
  let current = root;
  path.forEach((key, index) => {
    if (index === path.length - 1) {
      setOwn(current, key, value);
    } else {
      const next: RawObject = {};
      setOwn(current, key, next);
      current = next;
    }
  });
  return root;
}
