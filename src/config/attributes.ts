import type { Config } from './schema.js';

/**
 * The LDAP attribute names of the shipped rostersync schema. `ldap.attributes` may map each of them
 * to another name for directories that cannot load the schema (e.g. Active Directory).
 */
export const DEFAULT_ATTRIBUTE_NAMES = [
  'rostersyncSourceUid',
  'rostersyncRecordUid',
  'rostersyncRole',
  'rostersyncSchool',
  'rostersyncPurgeTimestamp',
  'rostersyncMissingSince',
  'rostersyncDeactivatedTimestamp',
  'rostersyncWarningTimestamp',
  'rostersyncRetirementState',
  'rostersyncClass',
  'rostersyncPriorEndTime',
  'rostersyncRemovedTimestamp',
] as const;

export type RostersyncAttributeName = (typeof DEFAULT_ATTRIBUTE_NAMES)[number];

/** The name this directory uses for one of rostersync's own attributes. */
export function attributeName(config: Config, defaultName: RostersyncAttributeName): string {
  return config.ldap.attributes[defaultName] ?? defaultName;
}
