import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import type { Config } from './schema.js';

const KEY = 'ldap.tls.ca_file';

/**
 * Makes sure `ldap.tls.ca_file`, when set, can be read before a connection is tried: a missing or
 * unreadable CA file is a configuration error (exit 2) naming the key, not a failed connection. Only
 * commands that connect call this; `config check` without `--connect` may run where the file is not.
 */
export async function checkCaFile(config: Config): Promise<void> {
  const file = config.ldap.tls.ca_file;
  if (file === undefined) return;
  try {
    await readFile(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ source: file, path: KEY, message: `cannot read the CA file: ${reason}` }]);
  }
}
