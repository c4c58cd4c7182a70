import { ConfigError } from './errors.js';
import type { Config } from './schema.js';

/**
 * Deactivation and the lifecycle's dates are read and written per `ldap.profile` (SPEC §3, §7); only
 * OpenLDAP's (ppolicy, `lastbind`) is built so far. A job that depends on it refuses another profile up
 * front, a config error naming the key, rather than writing attributes that directory does not enforce.
 */
export function requireOpenLdapProfile(config: Config, job: string): void {
  if (config.ldap.profile === 'openldap') return;
  throw new ConfigError([
    {
      source: 'config',
      path: 'ldap.profile',
      message: `'${config.ldap.profile}' is not supported by the ${job} in this version (only 'openldap')`,
    },
  ]);
}
