/**
 * Reads the directory state the planner needs, with paged searches of only the attributes it uses. The
 * reads are independent and go out together; nothing here writes.
 */
import type { Config } from '../config/index.js';
import {
  and,
  anyOf,
  type Directory,
  type DirectoryEntry,
  eq,
  normalizeDn,
  or,
  present,
} from '../directory/index.js';
import type { DirectoryLayout } from '../plan/layout.js';
import type { DirectoryGroup, DirectoryUser, SnapshotRest, TakenNames } from './types.js';

const first = (entry: DirectoryEntry, attribute: string): string | undefined =>
  entry.attributes[attribute]?.[0];
const all = (entry: DirectoryEntry, attribute: string): string[] => entry.attributes[attribute] ?? [];

export interface SnapshotRequest {
  config: Config;
  layout: DirectoryLayout;
  /** `--school` scope; empty = every school. */
  schools: string[];
  /** Containers the plan may need (users_dn/groups_dn of the roster's schools and their parents). */
  containers: string[];
  /** `attr:<name>` fields of the roster mapping. */
  mappedAttributes: string[];
}

/** Streams this source's users (within the `--school` scope) to `onUser`, one page at a time. */
export async function readUsers(
  directory: Directory,
  request: SnapshotRequest,
  onUser: (user: DirectoryUser) => void,
): Promise<void> {
  const { layout, config } = request;
  const names = layout.attributes;
  const attributes = [
    'objectClass',
    'entryUUID',
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
    names.priorEndTime,
    'pwdAccountLockedTime',
    'pwdEndTime',
    'shadowExpire',
    ...request.mappedAttributes,
  ];
  const filters = [eq('objectClass', 'inetOrgPerson'), eq(names.sourceUid, config.source_uid)];
  if (request.schools.length > 0) filters.push(anyOf(names.school, request.schools));
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: and(...filters),
    attributes,
  })) {
    onUser({
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
      mapped: Object.fromEntries(request.mappedAttributes.map((name) => [name, all(entry, name)])),
      purgeTimestamp: first(entry, names.purgeTimestamp),
      missingSince: first(entry, names.missingSince),
      deactivatedTimestamp: first(entry, names.deactivatedTimestamp),
      lockedTime: first(entry, 'pwdAccountLockedTime'),
      endTime: first(entry, 'pwdEndTime'),
      priorEndTime: first(entry, names.priorEndTime),
      shadowExpire: first(entry, 'shadowExpire'),
    });
  }
}

export async function readGroups(directory: Directory, request: SnapshotRequest): Promise<DirectoryGroup[]> {
  const names = request.layout.attributes;
  // All of this source's groups, not only the --school ones: when a run moves a user, member values in
  // the other schools' groups must follow the new DN.
  const groups: DirectoryGroup[] = [];
  for await (const entry of directory.search(request.layout.baseDn, {
    scope: 'sub',
    filter: and(eq('objectClass', 'rostersyncGroup'), eq(names.sourceUid, request.config.source_uid)),
    attributes: ['member', 'memberUid', names.school, names.className],
  })) {
    groups.push({
      dn: entry.dn,
      school: first(entry, names.school) ?? '',
      className: first(entry, names.className) ?? '',
      members: all(entry, 'member'),
      memberUids: all(entry, 'memberUid'),
    });
  }
  return groups;
}

/**
 * Every username and e-mail address under the base DN — uniqueness spans all sources (SPEC §4.4) — and,
 * for posix accounts, every uidNumber and gidNumber in use.
 */
export async function readTakenNames(
  directory: Directory,
  baseDn: string,
  posix: boolean,
): Promise<TakenNames> {
  const taken: TakenNames = { usernames: [], emails: [], uidNumbers: [], gidNumbers: [] };
  const presence = [present('uid'), present('mail'), ...(posix ? [present('gidNumber')] : [])];
  for await (const entry of directory.search(baseDn, {
    scope: 'sub',
    filter: or(...presence),
    attributes: ['uid', 'mail', ...(posix ? ['uidNumber', 'gidNumber'] : [])],
  })) {
    for (const uid of all(entry, 'uid')) taken.usernames.push(uid.toLowerCase());
    for (const mail of all(entry, 'mail')) taken.emails.push(mail.toLowerCase());
    for (const number of all(entry, 'uidNumber')) taken.uidNumbers.push(Number(number));
    for (const number of all(entry, 'gidNumber')) taken.gidNumbers.push(Number(number));
  }
  return taken;
}

export async function readReservations(directory: Directory, layout: DirectoryLayout): Promise<string[]> {
  if (!(await directory.exists(layout.reservationsDn))) return [];
  const reserved: string[] = [];
  for await (const entry of directory.search(layout.reservationsDn, {
    scope: 'one',
    filter: present('uid'),
    attributes: ['uid'],
  })) {
    for (const uid of all(entry, 'uid')) reserved.push(uid.toLowerCase());
  }
  return reserved;
}

export async function readExistingContainers(directory: Directory, containers: string[]): Promise<string[]> {
  const unique = [...new Map(containers.map((dn) => [normalizeDn(dn), dn])).entries()];
  const found = await Promise.all(
    unique.map(async ([normalized, dn]) => ((await directory.exists(dn)) ? normalized : undefined)),
  );
  return found.filter((dn): dn is string => dn !== undefined);
}

/**
 * Group members that are not this source's users: the ones that no longer exist (left behind by an
 * interrupted run or a hand-made deletion) are cleaned up; live ones belong to someone else and stay.
 */
export async function readDanglingMembers(
  directory: Directory,
  groups: DirectoryGroup[],
  knownUserDns: ReadonlySet<string>,
): Promise<string[]> {
  const unknown = new Map<string, string>();
  for (const group of groups) {
    for (const member of group.members) {
      const normalized = normalizeDn(member);
      if (!knownUserDns.has(normalized)) unknown.set(normalized, member);
    }
  }
  const dangling = await Promise.all(
    [...unknown].map(async ([normalized, dn]) => ((await directory.exists(dn)) ? undefined : normalized)),
  );
  return dangling.filter((dn): dn is string => dn !== undefined);
}

/** Receives this source's users one by one while the snapshot is read. */
export interface UserSink {
  addUser(user: DirectoryUser): void;
  /** Asked after the last user: whether every username and address in use must be read as well. */
  readonly needsNames: boolean;
}

/**
 * Reads the snapshot: the users go to `sink` as they arrive (a run never holds all of them), the rest is
 * returned. Reservations are read beforehand with `readReservations`, since deletions need them.
 */
export async function readSnapshot(
  directory: Directory,
  request: SnapshotRequest,
  sink: UserSink,
): Promise<SnapshotRest> {
  const knownUserDns = new Set<string>();
  const [existingContainers] = await Promise.all([
    readExistingContainers(directory, request.containers),
    readUsers(directory, request, (user) => {
      knownUserDns.add(normalizeDn(user.dn));
      sink.addUser(user);
    }),
  ]);
  const groups = await readGroups(directory, request);
  const [danglingMembers, taken] = await Promise.all([
    readDanglingMembers(directory, groups, knownUserDns),
    // New posix groups need free gidNumbers even when no user is created, so posix always reads them.
    sink.needsNames || request.config.ldap.posix
      ? readTakenNames(directory, request.layout.baseDn, request.config.ldap.posix)
      : Promise.resolve(undefined),
  ]);
  return { groups, danglingMembers, existingContainers, taken };
}
