/** A directory user as the snapshot reads it, as a plain value for the planner's unit tests. */
import type { DirectoryUser } from '../../src/snapshot/types.js';

export const TEST_BASE_DN = 'dc=example,dc=org';

export function directoryUser(recordUid: string, overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  const username = overrides.username ?? `u${recordUid.toLowerCase()}`;
  return {
    dn: `uid=${username},ou=people,ou=gym1,${TEST_BASE_DN}`,
    entryUUID: `uuid-${recordUid}`,
    objectClasses: ['inetOrgPerson', 'rostersyncUser'],
    username,
    recordUid,
    firstname: 'Jan',
    lastname: 'Meier',
    commonName: 'Jan Meier',
    displayName: 'Jan Meier',
    email: undefined,
    schools: ['gym1'],
    roles: ['student:school:gym1'],
    mapped: {},
    purgeTimestamp: undefined,
    missingSince: undefined,
    deactivatedTimestamp: undefined,
    lockFound: false,
    lockedTime: undefined,
    endTime: undefined,
    priorEndTime: undefined,
    shadowExpire: undefined,
    ...overrides,
  };
}
