/** Configuration: schema and defaults, layered loading, secrets, rendering (SPEC §9). */
export { attributeName, type AttributeNames, attributeNames, DEFAULT_ATTRIBUTE_NAMES } from './attributes.js';
export { checkCaFile } from './ca-file.js';
export { NON_CONFIG_ENV_VARS } from './env.js';
export { ConfigError, type ConfigIssue, formatKeyPath } from './errors.js';
export { packageRoot } from './files.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig, SYSTEM_CONFIG_PATH } from './load.js';
export { formatMaxDeletions, type MaxDeletions, parseMaxDeletions } from './max-deletions.js';
export { type OutputPaths, outputPaths } from './output-paths.js';
export { parseConfig } from './parse.js';
export { requireOpenLdapProfile } from './profile.js';
export { readSalts } from './salts.js';
export { REDACTED, redactConfig, renderEffectiveConfig } from './redact.js';
export { FIRST_RETIREMENT_STATE, LAST_RETIREMENT_STATES } from './retirement-states.js';
export {
  type Config,
  CSV_FIELDS,
  type CsvField,
  configSchema,
  DEFAULT_RETIREMENT_STATES,
  DEFAULT_WIPE_ATTRIBUTES,
  DEFAULT_ROLES,
  type LdapProfile,
  type LifecycleRule,
  PURGE_EXCLUDED_ROLE,
  type PurgeMode,
} from './schema.js';
export { BIND_PASSWORD_ENV_VAR, readBindPassword } from './secrets.js';
