/** The bridge from the validated config to a bound directory connection. */
import { checkCaFile, type Config, ConfigError, readBindPassword } from '../config/index.js';
import { registerSecret } from '../logging/index.js';
import { Directory } from './client.js';
import type { DirectoryOptions } from './options.js';

/** `ldap.bind_dn` is optional in the config (commands like `schema` need none) but required to connect. */
function requireBindDn(config: Config): string {
  const bindDn = config.ldap.bind_dn;
  if (bindDn === undefined || bindDn === '') {
    throw new ConfigError([
      { source: 'config', path: 'ldap.bind_dn', message: 'required to connect to the directory' },
    ]);
  }
  return bindDn;
}

export function directoryOptionsFromConfig(config: Config, bindPassword: string): DirectoryOptions {
  const { ldap } = config;
  return {
    url: ldap.url,
    bindDn: requireBindDn(config),
    bindPassword,
    starttls: ldap.starttls,
    tls: {
      ...(ldap.tls.ca_file !== undefined ? { caFile: ldap.tls.ca_file } : {}),
      rejectUnauthorized: ldap.tls.reject_unauthorized,
    },
    timeoutMs: ldap.timeout_ms,
    pageSize: ldap.page_size,
  };
}

/**
 * Reads the bind password (file or env), makes sure no log line can ever show it, and binds: to `ldap.url`,
 * or to `url` with the same credentials and TLS settings (the run lock's `ldap.lock_url`).
 */
export async function connectDirectory(
  config: Config,
  env: NodeJS.ProcessEnv,
  url: string = config.ldap.url,
): Promise<Directory> {
  requireBindDn(config);
  // A CA file that cannot be read is the config's fault (exit 2), for every job the daemon runs too.
  await checkCaFile(config);
  const password = await readBindPassword(config, env);
  registerSecret(password);
  return Directory.connect({ ...directoryOptionsFromConfig(config, password), url });
}
