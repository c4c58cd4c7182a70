import type { z } from 'zod';
import { type ConfigIssue, formatKeyPath } from './errors.js';
import { knownKeysAt } from './introspect.js';
import { type Config, configSchema } from './schema.js';
import { closestKey } from '../suggest.js';

/** Runs the schema over merged raw values and turns zod's issues into human `ConfigIssue`s. */

export type SourceOf = (path: readonly PropertyKey[]) => string;

export type ValidationResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

export function validateConfig(raw: unknown, sourceOf: SourceOf): ValidationResult {
  const result = configSchema.safeParse(raw, { error: humanMessage });
  if (result.success) return { ok: true, config: result.data };
  const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, sourceOf));
  return { ok: false, issues };
}

function toConfigIssues(issue: z.core.$ZodIssue, sourceOf: SourceOf): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { source: sourceOf(path), path: formatKeyPath(path), message: unknownKeyMessage(path) };
    });
  }
  return [{ source: sourceOf(issue.path), path: formatKeyPath(issue.path), message: issue.message }];
}

/** Secret-looking keys get a pointer to where secrets belong instead of a plain "unknown key". */
const SECRET_KEY = /(^|_)(password|passwd|secret|token|salts?|credentials?)$/i;

export function unknownKeyMessage(path: readonly PropertyKey[]): string {
  const key = String(path[path.length - 1]);
  const parent = path.slice(0, -1).map(String);
  const known = knownKeysAt(parent) ?? [];
  const head = `unknown key '${key}'`;
  if (SECRET_KEY.test(key)) {
    const fileKey =
      known.find((candidate) => candidate === `${key}_file`) ?? known.find((k) => k.endsWith('_file'));
    if (fileKey !== undefined) {
      const fileKeyPath = formatKeyPath([...parent, fileKey]);
      const envHint =
        fileKeyPath === 'ldap.bind_password_file'
          ? ' or the environment variable ROSTERSYNC_LDAP_BIND_PASSWORD'
          : '';
      return `${head}: secrets are never read from the configuration; use ${fileKeyPath}${envHint}`;
    }
  }
  const suggestion = closestKey(key, known);
  return suggestion === undefined ? head : `${head} (did you mean '${suggestion}'?)`;
}

const ARTICLE_TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${value}`;
  }
  return typeof value;
}

/** The per-parse error map: readable defaults for every issue a field did not word itself. */
function humanMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${ARTICLE_TYPES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'array') return `expected at least ${issue.minimum} entries`;
      return `expected a value ${issue.inclusive === false ? '>' : '≥'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${issue.maximum} entries`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
      return `expected a value ${issue.inclusive === false ? '<' : '≤'} ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `does not match the pattern ${String(issue.pattern)}`
        : `expected a valid ${issue.format}`;
    case 'invalid_union':
      return `unexpected value ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}
