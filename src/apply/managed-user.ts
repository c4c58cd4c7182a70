/**
 * The user a hook or a `UserImport` subclass is handed (SPEC §6): its DN, names, schools, role names and the
 * entry's attributes as they are before the action. A new user's come from the planned add; everyone
 * else's are read from the directory, once per action, and only when integrators' code is there to see
 * them — the built-in steps need nothing but the plan.
 */
import { attributeName, type Config } from '../config/index.js';
import type { Directory } from '../directory/index.js';
import { roleNameOf } from '../plan/user-state.js';
import type { UserAction } from '../plan/types.js';
import type { ManagedUser } from './user-import.js';

/** Never handed to integrators' code: a hook has no business with a password hash. */
const WITHHELD = new Set(['userpassword']);

function withoutSecrets(attributes: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !WITHHELD.has(name.toLowerCase())));
}

/** Role names (`teacher`) of `ROLE:school:SCHOOL` values, each once, in the order first seen. */
function roleNames(values: readonly string[]): string[] {
  return [...new Set(values.map(roleNameOf))];
}

/** The value of an attribute whatever the case of its name in `attributes`. */
function valuesOf(attributes: Record<string, string[]>, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, values] of Object.entries(attributes)) if (key.toLowerCase() === wanted) return values;
  return [];
}

/** The user as the plan describes it, without reading anything. */
export function plannedUser(action: UserAction, config: Config): ManagedUser {
  const attributes = action.kind === 'create' ? withoutSecrets(action.attributes) : {};
  const schools = valuesOf(attributes, attributeName(config, 'rostersyncSchool'));
  return {
    dn: action.dn,
    username: action.username,
    recordUid: action.recordUid,
    sourceUid: config.source_uid,
    schools: schools.length > 0 ? schools : action.school ? [action.school] : [],
    roles: roleNames(valuesOf(attributes, attributeName(config, 'rostersyncRole'))),
    attributes,
  };
}

/** The user with its entry's schools, roles and attributes as they are now (before the action). */
export async function currentUser(
  action: UserAction,
  config: Config,
  directory: Directory,
): Promise<ManagedUser> {
  const planned = plannedUser(action, config);
  if (action.kind === 'create') return planned;
  const entry = await directory.searchOne(action.dn, ['*']);
  // Gone meanwhile: the action itself will say so; the hook sees what the plan knew.
  if (!entry) return planned;
  const attributes = withoutSecrets(entry.attributes);
  return {
    ...planned,
    schools: valuesOf(attributes, attributeName(config, 'rostersyncSchool')),
    roles: roleNames(valuesOf(attributes, attributeName(config, 'rostersyncRole'))),
    attributes,
  };
}
