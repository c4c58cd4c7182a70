import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.js';
import { isPlainObject, type RawObject } from './layers.js';

/** The nearest ancestor directory holding package.json: the package root, from src/ or from dist/. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** The shipped defaults, the lowest config layer. */
export function shippedDefaultsPath(): string {
  return join(packageRoot(), 'config', 'default.yaml');
}

/** Reads a YAML or JSON config file (JSON is YAML); an empty file is an empty mapping. */
export async function readConfigFile(path: string): Promise<RawObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : describeError(error);
    throw new ConfigError([{ source: path, path: '', message: `cannot read the config file: ${reason}` }]);
  }
  return parseConfigText(text, path);
}

/** Parses config text; syntax errors name the file, line and column. */
export function parseConfigText(text: string, source: string): RawObject {
  const document = parseDocument(text.replace(/^\uFEFF/, ''));
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        const where = position === undefined ? '' : `line ${position.line}, column ${position.col}: `;
        // prettyErrors appends " at line L, column C:" and a code excerpt; keep only the first clause.
        const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return { source, path: '', message: `${where}syntax error: ${reason}` };
      }),
    );
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new ConfigError([
      { source, path: '', message: 'expected a mapping of keys to values at the top level' },
    ]);
  }
  return value;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
