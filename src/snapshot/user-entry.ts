/**
 * A directory entry as the planner's `DirectoryUser`, and the attributes that takes. Pure and plain, so the
 * reader thread (`user-reader-worker.ts`) runs the same code as an in-thread read.
 */
import type { AttributeNames } from '../config/index.js';
import type { EntryRow } from '../directory/index.js';
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

/** The attributes of a user the planner reads, in the order of the rows `userMapper` takes. */
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

/**
 * Maps the rows of a search for `userAttributes(shape)` (`Directory.searchRows`) to users. Positions are
 * found once, so each of a directory's users costs only its own values.
 */
export function userMapper(shape: UserShape): (row: EntryRow) => DirectoryUser {
  const { names } = shape;
  const attributes = userAttributes(shape);
  const at = (name: string): number => attributes.indexOf(name);
  const column = {
    objectClass: at('objectClass'),
    entryUUID: at('entryUUID'),
    entryCSN: at(ENTRY_CSN),
    uid: at('uid'),
    givenName: at('givenName'),
    sn: at('sn'),
    cn: at('cn'),
    displayName: at('displayName'),
    mail: at('mail'),
    recordUid: at(names.recordUid),
    school: at(names.school),
    role: at(names.role),
    purgeTimestamp: at(names.purgeTimestamp),
    missingSince: at(names.missingSince),
    deactivatedTimestamp: at(names.deactivatedTimestamp),
    lockFound: at(names.lockFound),
    priorEndTime: at(names.priorEndTime),
    lockedTime: at('pwdAccountLockedTime'),
    endTime: at('pwdEndTime'),
    shadowExpire: at('shadowExpire'),
    warnedAt: at(names.warningTimestamp),
    warningRule: at(names.warningRule),
    keptAt: at(names.keptTimestamp),
  };
  const mapped = shape.mappedAttributes.map((name) => [name, at(name)] as const);
  // Without `attr:` columns every user's mapped attributes are the same empty object (it is only read).
  const noneMapped: Record<string, string[]> = Object.freeze({});
  return ({ dn, values }) => {
    const first = (position: number): string | undefined =>
      position < 0 ? undefined : values[position]?.[0];
    const all = (position: number): string[] => values[position] ?? [];
    return {
      dn,
      entryUUID: first(column.entryUUID) ?? '',
      objectClasses: all(column.objectClass),
      username: first(column.uid) ?? '',
      recordUid: first(column.recordUid) ?? '',
      firstname: first(column.givenName) ?? '',
      lastname: first(column.sn) ?? '',
      commonName: first(column.cn) ?? '',
      displayName: first(column.displayName) ?? '',
      email: first(column.mail),
      schools: all(column.school),
      roles: all(column.role),
      mapped:
        mapped.length === 0
          ? noneMapped
          : Object.fromEntries(mapped.map(([name, position]) => [name, all(position)])),
      purgeTimestamp: first(column.purgeTimestamp),
      missingSince: first(column.missingSince),
      deactivatedTimestamp: first(column.deactivatedTimestamp),
      lockFound: first(column.lockFound)?.toUpperCase() === 'TRUE',
      lockedTime: first(column.lockedTime),
      endTime: first(column.endTime),
      priorEndTime: first(column.priorEndTime),
      shadowExpire: first(column.shadowExpire),
      warnedAt: first(column.warnedAt),
      warningRule: first(column.warningRule),
      keptAt: first(column.keptAt),
      entryCSN: first(column.entryCSN),
    };
  };
}

/**
 * A user as an incremental import lists it: enough to know whether the entry is the one an earlier run
 * found settled (`src/plan/settled.ts`), and, if it is, to place it in its groups without reading more.
 */
export interface ListedUser {
  dn: string;
  username: string;
  recordUid: string;
  entryCSN: string | undefined;
}

/** The attributes of the listing, in the order of its rows. */
export function listingAttributes(names: AttributeNames): string[] {
  return ['uid', names.recordUid, ENTRY_CSN];
}

/** A row of the listing (`listingAttributes`) as a listed user. */
export const toListedUser = ({ dn, values }: EntryRow): ListedUser => ({
  dn,
  username: values[0]?.[0] ?? '',
  recordUid: values[1]?.[0] ?? '',
  entryCSN: values[2]?.[0],
});
