/**
 * A directory entry as the planner's `DirectoryUser`, and the attributes that takes. Pure and plain, so the
 * reader thread (`user-reader-worker.ts`) runs the same code as an in-thread read.
 */
import type { AttributeNames } from '../config/index.js';
import type { DirectoryEntry } from '../directory/index.js';
import type { DirectoryUser } from './types.js';

/** Operational: only sent when asked for. A held plan records it for every entry it writes (SPEC §11). */
export const ENTRY_CSN = 'entryCSN';

/** What decides a user's shape: plain data, passed to the reader thread as is. */
export interface UserShape {
  names: AttributeNames;
  /** `attr:<name>` fields of the roster mapping. */
  mappedAttributes: readonly string[];
  /** Whether each user's `entryCSN` is read (for a plan saved to be applied later). */
  entryCsn: boolean;
}

const first = (entry: DirectoryEntry, attribute: string): string | undefined =>
  entry.attributes[attribute]?.[0];
const all = (entry: DirectoryEntry, attribute: string): string[] => entry.attributes[attribute] ?? [];

/** The attributes of a user the planner reads. */
export function userAttributes(shape: UserShape): string[] {
  const { names } = shape;
  return [
    'objectClass',
    'entryUUID',
    ...(shape.entryCsn ? [ENTRY_CSN] : []),
    'uid',
    'givenName',
    'sn',
    'cn',
    'displayName',
    'mail',
    names.recordUid,
    names.school,
    names.role,
    names.purgeTimestamp,
    names.missingSince,
    names.deactivatedTimestamp,
    names.lockFound,
    names.priorEndTime,
    'pwdAccountLockedTime',
    'pwdEndTime',
    'shadowExpire',
    names.warningTimestamp,
    names.warningRule,
    names.keptTimestamp,
    ...shape.mappedAttributes,
  ];
}

export function toUser(entry: DirectoryEntry, shape: UserShape): DirectoryUser {
  const { names } = shape;
  return {
    dn: entry.dn,
    entryUUID: first(entry, 'entryUUID') ?? '',
    objectClasses: all(entry, 'objectClass'),
    username: first(entry, 'uid') ?? '',
    recordUid: first(entry, names.recordUid) ?? '',
    firstname: first(entry, 'givenName') ?? '',
    lastname: first(entry, 'sn') ?? '',
    commonName: first(entry, 'cn') ?? '',
    displayName: first(entry, 'displayName') ?? '',
    email: first(entry, 'mail'),
    schools: all(entry, names.school),
    roles: all(entry, names.role),
    mapped: Object.fromEntries(shape.mappedAttributes.map((name) => [name, all(entry, name)])),
    purgeTimestamp: first(entry, names.purgeTimestamp),
    missingSince: first(entry, names.missingSince),
    deactivatedTimestamp: first(entry, names.deactivatedTimestamp),
    lockFound: first(entry, names.lockFound)?.toUpperCase() === 'TRUE',
    lockedTime: first(entry, 'pwdAccountLockedTime'),
    endTime: first(entry, 'pwdEndTime'),
    priorEndTime: first(entry, names.priorEndTime),
    shadowExpire: first(entry, 'shadowExpire'),
    warnedAt: first(entry, names.warningTimestamp),
    warningRule: first(entry, names.warningRule),
    keptAt: first(entry, names.keptTimestamp),
    entryCSN: first(entry, ENTRY_CSN),
  };
}
