import { readFile } from 'node:fs/promises';
import { registerSecret } from '../logging/index.js';
import { ConfigError } from './errors.js';
import type { Config } from './schema.js';

const KEY = 'retirement.salts_file';

/**
 * The retirement salts (SPEC §8): `retirement.salts_file`, one per line, oldest first; the last one hashes
 * new retirements, all of them are used to check whether a name is retired. Blank lines and lines starting
 * with `#` are skipped. Each salt is registered as a secret, so no log line shows it.
 */
export async function readSalts(config: Config): Promise<string[]> {
  const file = config.retirement.salts_file;
  if (file === undefined) {
    throw new ConfigError([
      { source: 'config', path: KEY, message: 'required: the salts to hash retired names' },
    ]);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ source: file, path: KEY, message: `cannot read the salts file: ${reason}` }]);
  }
  const salts = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (salts.length === 0) {
    throw new ConfigError([{ source: file, path: KEY, message: 'the salts file holds no salt' }]);
  }
  for (const salt of salts) registerSecret(salt);
  return salts;
}
