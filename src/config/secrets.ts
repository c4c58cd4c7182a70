import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import type { Config } from './schema.js';

/** The environment variable that may carry the bind password (never argv, never a config file). */
export const BIND_PASSWORD_ENV_VAR = 'ROSTERSYNC_LDAP_BIND_PASSWORD';

const KEY = 'ldap.bind_password_file';

/**
 * The LDAP bind password: from `ldap.bind_password_file` (one trailing newline trimmed), else from
 * `ROSTERSYNC_LDAP_BIND_PASSWORD`. An empty password is refused: LDAP treats a simple bind with an
 * empty password as an unauthenticated bind, which would "succeed" without any rights.
 */
export async function readBindPassword(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const file = config.ldap.bind_password_file;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError([
        { source: file, path: KEY, message: `cannot read the bind password file: ${reason}` },
      ]);
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '')
      throw new ConfigError([{ source: file, path: KEY, message: 'the bind password file is empty' }]);
    return password;
  }
  const fromEnv = env[BIND_PASSWORD_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  throw new ConfigError([
    {
      source: 'config',
      path: KEY,
      message: `required: no bind password (set ${KEY} or ${BIND_PASSWORD_ENV_VAR})`,
    },
  ]);
}
