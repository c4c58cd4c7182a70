import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type ConfigIssue, formatKeyPath } from './errors.js';
import { type ConfigLayer, isPlainObject, type RawObject } from './layers.js';

/**
 * Path-valued keys get `${VAR}` expansion (so systemd's `${CREDENTIALS_DIRECTORY}/bind-pw` works) and
 * relative paths resolve against the directory of the layer that set them. `*` stands for every list entry.
 */
export const FILE_PATH_KEYS: readonly (readonly string[])[] = [
  ['ldap', 'bind_password_file'],
  ['ldap', 'tls', 'ca_file'],
  ['output', 'passwords_file'],
  ['output', 'audit_log'],
  ['output', 'metrics_file'],
  ['state_dir'],
  ['daemon', 'import_input'],
  ['mail', 'smtp', 'password_file'],
  ['mail', 'templates_dir'],
  ['retirement', 'salts_file'],
  ['archive', 'dir'],
  ['console', 'session_secret_file'],
  ['console', 'tls', 'cert_file'],
  ['console', 'tls', 'key_file'],
];

/**
 * Module specifiers: `./` and `../` paths are resolved, and so is a bare one (`hooks/notify.js`) that names
 * a file beside the config; other package names and URLs stay as they are.
 */
export const MODULE_PATH_KEYS: readonly (readonly string[])[] = [
  ['classes', 'user_import'],
  ['hooks', '*'],
];

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const MALFORMED_VARIABLE = /\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/;

/** Expands and resolves every path-valued key of one layer in place; returns the problems found. */
export function resolveLayerPaths(layer: ConfigLayer, env: NodeJS.ProcessEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (keys: readonly string[], isModule: boolean) => {
    for (const slot of slotsAt(layer.values, keys, [])) {
      const value = slot.get();
      if (typeof value !== 'string') continue; // the schema reports the wrong type
      const expanded = expandVariables(value, env);
      if (typeof expanded !== 'string') {
        issues.push({ source: layer.source, path: formatKeyPath(slot.path), message: expanded.problem });
        continue;
      }
      slot.set(resolvePath(expanded, layer.baseDir, isModule));
    }
  };
  for (const keys of FILE_PATH_KEYS) visit(keys, false);
  for (const keys of MODULE_PATH_KEYS) visit(keys, true);
  return issues;
}

function expandVariables(value: string, env: NodeJS.ProcessEnv): string | { problem: string } {
  if (MALFORMED_VARIABLE.test(value)) {
    return { problem: `malformed variable reference in '${value}' (expected \${NAME})` };
  }
  const missing: string[] = [];
  const expanded = value.replace(VARIABLE, (_match, name: string) => {
    const replacement = env[name];
    if (replacement === undefined || replacement === '') missing.push(name);
    return replacement ?? '';
  });
  if (missing.length > 0) {
    const names = missing.map((name) => `'${name}'`).join(', ');
    return { problem: `environment variable ${names} used in '${value}' is not set` };
  }
  return expanded;
}

function resolvePath(value: string, baseDir: string, isModule: boolean): string {
  if (isModule) {
    if (/^\.\.?\//.test(value)) return resolve(baseDir, value);
    // Written as a path, without the `./` a module specifier needs, for a file that is there.
    const beside = resolve(baseDir, value);
    return !isAbsolute(value) && !/^[a-z][a-z0-9+.-]*:/i.test(value) && existsSync(beside) ? beside : value;
  }
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

interface Slot {
  path: (string | number)[];
  get(): unknown;
  set(value: string): void;
}

type Holder = RawObject | unknown[];

function read(holder: Holder, key: string | number): unknown {
  return Array.isArray(holder) ? holder[Number(key)] : holder[String(key)];
}

function write(holder: Holder, key: string | number, value: string): void {
  if (Array.isArray(holder)) holder[Number(key)] = value;
  else holder[String(key)] = value;
}

/** Every place in `value` that the key pattern names (`*` = each list entry). */
function slotsAt(value: unknown, keys: readonly string[], path: (string | number)[]): Slot[] {
  const [key, ...rest] = keys;
  if (key === undefined) return [];
  let children: { holder: Holder; key: string | number }[] = [];
  if (key === '*' && Array.isArray(value))
    children = value.map((_, index) => ({ holder: value, key: index }));
  else if (isPlainObject(value) && Object.hasOwn(value, key)) children = [{ holder: value, key }];
  return children.flatMap(({ holder, key: childKey }) => {
    const childPath = [...path, childKey];
    if (rest.length > 0) return slotsAt(read(holder, childKey), rest, childPath);
    return [
      { path: childPath, get: () => read(holder, childKey), set: (text) => write(holder, childKey, text) },
    ];
  });
}
