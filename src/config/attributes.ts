/**
 * rostersync's own LDAP attributes as this directory spells them. The attributes themselves are the schema's
 * (ATTRIBUTE_TYPES); `ldap.attributes` may map each of them to another name for directories that cannot
 * load the schema (e.g. Active Directory).
 */
import { ATTRIBUTE_TYPES, type AttributeKey, type AttributeTypeName } from '../schema/index.js';
import type { Config } from './schema.js';

/** The names of the shipped schema: the keys `ldap.attributes` accepts. */
export const DEFAULT_ATTRIBUTE_NAMES: readonly AttributeTypeName[] = ATTRIBUTE_TYPES.map(({ name }) => name);

/** Each attribute by its key in code, e.g. `names.sourceUid`, under the name this directory uses. */
export type AttributeNames = Record<AttributeKey, string>;

/** The name this directory uses for one of rostersync's own attributes. */
export function attributeName(config: Config, defaultName: AttributeTypeName): string {
  return config.ldap.attributes[defaultName] ?? defaultName;
}

export function attributeNames(config: Config): AttributeNames {
  return Object.fromEntries(
    ATTRIBUTE_TYPES.map(({ key, name }) => [key, attributeName(config, name)]),
  ) as AttributeNames;
}
