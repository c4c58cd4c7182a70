/**
 * Checks an admin wants before the first import: can we bind, does the base exist, is our schema loaded.
 * Each check reports instead of throwing, so one run shows every problem.
 */
import { attributeName, type Config } from '../config/index.js';
import { ATTRIBUTE_TYPES, type ObjectClassName } from '../schema/index.js';
import type { Directory } from './client.js';
import { isDirectoryError } from './errors.js';
import { present } from './filter.js';

export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function subschemaDn(directory: Directory): Promise<string | undefined> {
  const rootDse = await directory.searchOne('', ['subschemaSubentry']);
  return rootDse?.attributes.subschemaSubentry?.[0];
}

async function schemaHasObjectClass(directory: Directory, name: string): Promise<boolean> {
  const dn = await subschemaDn(directory);
  if (!dn) return false;
  for await (const entry of directory.search(dn, {
    scope: 'base',
    filter: present('objectClass'),
    attributes: ['objectClasses'],
  })) {
    const pattern = new RegExp(`NAME\\s+(\\(\\s*)?'${name}'`, 'i');
    if ((entry.attributes.objectClasses ?? []).some((definition) => pattern.test(definition))) return true;
  }
  return false;
}

/** Which of `names` the server's schema does not define as attribute types. */
export async function attributeTypesMissing(
  directory: Directory,
  names: readonly string[],
): Promise<string[]> {
  const dn = await subschemaDn(directory);
  if (!dn) return [...names];
  const definitions: string[] = [];
  for await (const entry of directory.search(dn, {
    scope: 'base',
    filter: present('objectClass'),
    attributes: ['attributeTypes'],
  })) {
    definitions.push(...(entry.attributes.attributeTypes ?? []));
  }
  return names.filter((name) => {
    // NAME 'x' or NAME ( 'x' 'y' ): any of its names.
    const pattern = new RegExp(`NAME\\s+(\\(\\s*('[^']*'\\s*)*)?'${name}'`, 'i');
    return !definitions.some((definition) => pattern.test(definition));
  });
}

const LEASE_CLASS: ObjectClassName = 'rostersyncLease';

/** Where the run lock is held (SPEC §5, `lock.store`), and whether this server can hold its lease entries. */
async function runLockCheck(directory: Directory, config: Config): Promise<PreflightCheck> {
  const name = 'run lock';
  const { store } = config.lock;
  if (store === 'file') {
    return {
      name,
      ok: true,
      detail: 'lock.store: file: a lock file on each host, which keeps no two hosts apart',
    };
  }
  const { lock_url: lockUrl } = config.ldap;
  if (lockUrl !== undefined && lockUrl !== config.ldap.url) {
    return { name, ok: true, detail: `leases are held on ${lockUrl} (ldap.lock_url); not checked here` };
  }
  try {
    if (await schemaHasObjectClass(directory, LEASE_CLASS)) {
      return {
        name,
        ok: true,
        detail: `object class ${LEASE_CLASS} is known: runs hold their lock as a lease here`,
      };
    }
  } catch (error) {
    const detail = isDirectoryError(error) ? error.message : String(error);
    return { name, ok: false, detail: `cannot read the subschema: ${detail}` };
  }
  const load = 'load the current schema (`rostersync schema --format ldif`)';
  return store === 'directory'
    ? {
        name,
        ok: false,
        detail: `object class ${LEASE_CLASS} is unknown and lock.store is directory: every run would fail; ${load}`,
      }
    : {
        name,
        ok: true,
        detail: `object class ${LEASE_CLASS} is unknown: runs fall back to a lock file on each host (lock.store: auto), which keeps no two hosts apart; ${load}`,
      };
}

export async function runPreflight(directory: Directory, config: Config): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [
    { name: 'bind', ok: true, detail: `bound to ${directory.url} as ${config.ldap.bind_dn}` },
  ];
  try {
    const exists = await directory.exists(config.ldap.base_dn);
    checks.push({
      name: 'base_dn',
      ok: exists,
      detail: exists
        ? `${config.ldap.base_dn} exists`
        : `no such entry: ${config.ldap.base_dn} (ldap.base_dn)`,
    });
  } catch (error) {
    checks.push({
      name: 'base_dn',
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  // With ldap.attributes mapping our names elsewhere (e.g. Active Directory), the schema is not ours.
  if (Object.keys(config.ldap.attributes).length === 0) {
    try {
      const loaded = await schemaHasObjectClass(directory, 'rostersyncUser');
      // A schema loaded by an older version lacks what newer ones added.
      const missing = loaded
        ? await attributeTypesMissing(
            directory,
            ATTRIBUTE_TYPES.map(({ name }) => name),
          )
        : [];
      checks.push({
        name: 'schema',
        ok: loaded && missing.length === 0,
        detail: !loaded
          ? 'object class rostersyncUser is unknown: load it with `rostersync schema --format ldif | ldapadd …`'
          : missing.length > 0
            ? `the schema loaded is older than this version, it lacks ${missing.join(', ')}: load the current one (\`rostersync schema\`; README: Loading the schema)`
            : 'object class rostersyncUser and every attribute of this version are known to the server',
      });
    } catch (error) {
      const detail = isDirectoryError(error) ? error.message : String(error);
      checks.push({ name: 'schema', ok: false, detail: `cannot read the subschema: ${detail}` });
    }
    checks.push(await runLockCheck(directory, config));
  } else {
    checks.push({
      name: 'schema',
      ok: true,
      detail: `attribute names mapped (e.g. ${attributeName(config, 'rostersyncSourceUid')}); schema not checked`,
    });
  }
  return checks;
}
