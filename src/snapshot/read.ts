/**
 * Reads the directory state the planner needs, with paged searches of only the attributes it uses. The
 * reads are independent and go out together; nothing here writes.
 */
import pLimit from 'p-limit';
import type { AttributeNames, Config } from '../config/index.js';
import {
  and,
  anyOf,
  type Directory,
  type DirectoryEntry,
  DirectoryError,
  eq,
  type Filter,
  isDescendantOf,
  lowerCase,
  normalizeDn,
  not,
  parseDn,
  or,
  present,
} from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import type {
  DirectoryGroup,
  DirectoryUser,
  LeavingUser,
  NameLookup,
  ReferencingGroup,
  SnapshotRest,
  TakenNames,
} from './types.js';
import { ENTRY_CSN, type ListedUser, type UserShape, userAttributes, userMapper } from './user-entry.js';
import {
  type ListingRead,
  type ListingReaderThread,
  readListingPages,
  readUserPages,
  type UserRead,
  type UserReaderThread,
} from './user-reader.js';

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
  /** The class groups the roster asks for (in scope), whether or not they exist. */
  classGroups: ClassGroupRef[];
  /**
   * Whether each user's `entryCSN` is read, for a plan that is saved to be applied later (SPEC §11).
   * Default true; a run that applies at once asks for less.
   */
  entryCsn?: boolean;
  /** The users' read, started early on its own thread (`startUserRead`). */
  prefetched?: UserReaderThread;
  /**
   * An incremental import: the users are listed (`startListing`), and only those the planner does not find
   * settled are read in full.
   */
  listing?: { read: ListingRead; prefetched?: ListingReaderThread };
}

export interface ClassGroupRef {
  dn: string;
  school: string;
  className: string;
}

/** How many distinct school lists are remembered as lower-cased: a roster has a few; a bound for the rest. */
const MAX_SCHOOL_LISTS = 1000;

/** Above this many schools, one filter naming each would cost more than reading every class group. */
const MAX_SCHOOLS_IN_FILTER = 200;

export { ENTRY_CSN } from './user-entry.js';

const GROUP_ATTRIBUTES = ['objectClass', 'member', 'memberUid', ENTRY_CSN];

/**
 * The users read so far, by normalized DN, with the DN as read: a group member value that spells a user's
 * DN the same way is kept as that one string, not as a copy (a million memberships at scale).
 */
type KnownUsers = ReadonlyMap<string, string>;

function toGroup(
  entry: DirectoryEntry,
  school: string,
  className: string,
  users: KnownUsers,
): DirectoryGroup {
  return {
    dn: entry.dn,
    school,
    className,
    objectClasses: all(entry, 'objectClass').map((value) => value.toLowerCase()),
    members: all(entry, 'member').map((member) => {
      const userDn = users.get(normalizeDn(member));
      return userDn === member ? userDn : member;
    }),
    memberUids: all(entry, 'memberUid'),
    entryCSN: first(entry, ENTRY_CSN),
  };
}

/**
 * The users a source owns: its own source uid, and not removed from it. A user moved instead of deleted
 * (`purge.mode: move`, or a `doDelete` that keeps the entry) carries `rostersyncRemovedTimestamp` and is out
 * of every later import, purge and lifecycle run (SPEC §5).
 */
export function sourceUsersFilter(names: AttributeNames, sourceUid: string): Filter {
  return and(
    eq('objectClass', 'inetOrgPerson'),
    eq(names.sourceUid, sourceUid),
    not(present(names.removedTimestamp)),
    // In retirement (SPEC §8): only the purge's retirement pipeline touches it from then on.
    not(present(names.retirementState)),
  );
}

/** This source's users whose retirement is under way: neither complete, nor stopped, nor failed. */
export function retiringUsersFilter(names: AttributeNames, sourceUid: string): Filter {
  return and(
    eq('objectClass', 'inetOrgPerson'),
    eq(names.sourceUid, sourceUid),
    present(names.retirementState),
    not(eq(names.retirementState, 'COMPLETE')),
    not(eq(names.retirementState, 'ABORTED')),
    not(eq(names.retirementState, 'ERRORED')),
  );
}

/** Streams this source's users (within the `--school` scope) to `onUser`, one page at a time. */
export async function readUsers(
  directory: Directory,
  request: SnapshotRequest,
  onUser: (user: DirectoryUser) => void,
): Promise<void> {
  for await (const page of readUserPages(directory, usersRead(request), request.prefetched)) {
    for (const user of page) onUser(user);
  }
}

/** The read of this source's users (within the `--school` scope): plain data, for either thread. */
export function usersRead(
  request: Pick<SnapshotRequest, 'config' | 'layout' | 'schools' | 'mappedAttributes' | 'entryCsn'>,
): UserRead {
  return { base: request.layout.baseDn, filter: usersFilter(request).toString(), shape: userShape(request) };
}

/** This source's users within the `--school` scope. */
function usersFilter(request: Pick<SnapshotRequest, 'config' | 'layout' | 'schools'>): Filter {
  const names = request.layout.attributes;
  const filters = [sourceUsersFilter(names, request.config.source_uid)];
  if (request.schools.length > 0) filters.push(anyOf(names.school, request.schools));
  return and(...filters);
}

/** An incremental import's listing of the same users. */
export function listingRead(request: Pick<SnapshotRequest, 'config' | 'layout' | 'schools'>): ListingRead {
  return {
    base: request.layout.baseDn,
    filter: usersFilter(request).toString(),
    names: request.layout.attributes,
  };
}

function userShape(request: Pick<SnapshotRequest, 'layout' | 'mappedAttributes' | 'entryCsn'>): UserShape {
  return {
    names: request.layout.attributes,
    mappedAttributes: request.mappedAttributes,
    entryCsn: request.entryCsn !== false,
  };
}

/** How many record uids one search looks for. */
const RECORD_UID_BATCH = 100;

/** This source's users holding any of these record uids, wherever they are (a `--school` run's joiners). */
export async function readJoiningUsers(
  directory: Directory,
  request: SnapshotRequest,
  recordUids: readonly string[],
  onUser: (user: DirectoryUser) => void,
): Promise<void> {
  const { layout, config } = request;
  await readHolders(
    directory,
    request,
    sourceUsersFilter(layout.attributes, config.source_uid),
    recordUids,
    onUser,
  );
}

/** The users matching `filter` that hold any of these record uids, a batch of record uids at a time. */
async function readHolders(
  directory: Directory,
  request: SnapshotRequest,
  filter: Filter,
  recordUids: readonly string[],
  onUser: (user: DirectoryUser) => void,
): Promise<void> {
  const { layout } = request;
  const shape = userShape(request);
  const toUser = userMapper(shape);
  for (let start = 0; start < recordUids.length; start += RECORD_UID_BATCH) {
    const batch = recordUids.slice(start, start + RECORD_UID_BATCH);
    for await (const page of directory.searchRows(layout.baseDn, {
      scope: 'sub',
      filter: and(filter, anyOf(layout.attributes.recordUid, batch)),
      attributes: userAttributes(shape),
    })) {
      for (const row of page) onUser(toUser(row));
    }
  }
}

/**
 * Above this share of the listed users unsettled, one full read costs less than reading them a batch of
 * record uids at a time.
 */
const FULL_READ_SHARE = 1 / 4;

/**
 * An incremental import's users: every user of the scope is listed, the planner takes those it finds
 * settled from the listing alone, and the rest are read in full — by record uid, or all at once when they
 * are many. A user listed as settled and met again in the second read is skipped (`known`).
 */
async function readIncrementally(
  directory: Directory,
  request: SnapshotRequest,
  listing: NonNullable<SnapshotRequest['listing']>,
  sink: UserSink,
  known: KnownUsers,
  onSettled: (listed: ListedUser, schools: readonly string[]) => void,
  onUser: (user: DirectoryUser) => void,
): Promise<void> {
  const unsettled: ListedUser[] = [];
  let listed = 0;
  for await (const page of readListingPages(directory, listing.read, listing.prefetched)) {
    for (const user of page) {
      listed += 1;
      const schools = sink.addListedUser(user);
      if (schools === undefined) unsettled.push(user);
      else onSettled(user, schools);
    }
  }
  const unknown = (user: DirectoryUser) => {
    if (!known.has(normalizeDn(user.dn))) onUser(user);
  };
  if (unsettled.length > listed * FULL_READ_SHARE) {
    await readUsers(directory, request, unknown);
    return;
  }
  const recordUids = unsettled.flatMap((user) => (user.recordUid === '' ? [] : [user.recordUid]));
  await readHolders(directory, request, usersFilter(request), recordUids, unknown);
  // Without a record uid there is nothing to batch by: each such entry is read by its DN (if still there).
  const shape = userShape(request);
  const toUser = userMapper(shape);
  for (const user of unsettled) {
    if (user.recordUid !== '') continue;
    try {
      for await (const page of directory.searchRows(user.dn, {
        scope: 'base',
        filter: listing.read.filter,
        attributes: userAttributes(shape),
      })) {
        for (const row of page) unknown(toUser(row));
      }
    } catch (error) {
      if (!(error instanceof DirectoryError && error.kind === 'no-such-object')) throw error;
    }
  }
}

/**
 * The class groups this run may touch. A class group is shared by every source with pupils in that class
 * (SPEC §3), so besides this source's own groups (all schools: member values follow a moved user
 * everywhere) it reads every source's groups of the schools in play, and the groups the roster asks for
 * that exist without being anyone's yet (made by hand before the first import).
 */
export async function readGroups(
  directory: Directory,
  request: SnapshotRequest,
  schoolsInPlay: ReadonlySet<string>,
  users: KnownUsers = new Map(),
): Promise<DirectoryGroup[]> {
  const names = request.layout.attributes;
  const own = eq(names.sourceUid, request.config.source_uid);
  const whose =
    schoolsInPlay.size === 0
      ? own
      : schoolsInPlay.size > MAX_SCHOOLS_IN_FILTER
        ? undefined
        : or(own, anyOf(names.school, [...schoolsInPlay]));
  const groups: DirectoryGroup[] = [];
  const seen = new Set<string>();
  for await (const entry of directory.search(request.layout.baseDn, {
    scope: 'sub',
    filter: whose ? and(eq('objectClass', 'rostersyncGroup'), whose) : eq('objectClass', 'rostersyncGroup'),
    attributes: [...GROUP_ATTRIBUTES, names.school, names.className],
  })) {
    seen.add(normalizeDn(entry.dn));
    groups.push(toGroup(entry, first(entry, names.school) ?? '', first(entry, names.className) ?? '', users));
  }
  const unseen = new Map(
    request.classGroups
      .filter((ref) => !seen.has(normalizeDn(ref.dn)))
      .map((ref) => [normalizeDn(ref.dn), ref]),
  );
  // One base read per group not found above (made by hand, or not there yet: every group of a first
  // import), a few at a time: thousands at once would swamp the connection.
  const limit = pLimit(request.config.ldap.concurrency);
  const handMade = await Promise.all(
    [...unseen.values()].map((ref) =>
      limit(async () => {
        const entry = await directory.searchOne(ref.dn, GROUP_ATTRIBUTES);
        return entry ? toGroup(entry, ref.school, ref.className, users) : undefined;
      }),
    ),
  );
  for (const group of handMade) if (group) groups.push(group);
  return groups;
}

/** How many names one lookup asks for (an OR of equality filters, answered from the `uid`/`mail` index). */
const NAME_BATCH = 200;

/**
 * Which names are in use under the base DN — uniqueness spans all sources (SPEC §4.4) — asked a batch at a
 * time, a few batches at once: a run that creates users asks for the names it may give out, so it holds
 * what its new users need, not every name of a large directory.
 */
export function directoryNameLookup(directory: Directory, baseDn: string, concurrency: number): NameLookup {
  const limit = pLimit(concurrency);
  const lookUp = async (attribute: string, names: readonly string[]): Promise<string[]> => {
    const batches: string[][] = [];
    for (let start = 0; start < names.length; start += NAME_BATCH)
      batches.push(names.slice(start, start + NAME_BATCH));
    const found = await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          const used: string[] = [];
          for await (const entry of directory.search(baseDn, {
            scope: 'sub',
            filter: anyOf(attribute, batch),
            attributes: [attribute],
          })) {
            for (const value of all(entry, attribute)) used.push(lowerCase(value));
          }
          return used;
        }),
      ),
    );
    return found.flat();
  };
  return {
    usernames: (names) => lookUp('uid', names),
    emails: (addresses) => lookUp('mail', addresses),
  };
}

/** Every uidNumber and gidNumber under the base DN, for posix accounts and groups. */
export async function readNumbersInUse(directory: Directory, baseDn: string): Promise<TakenNames> {
  const taken: TakenNames = { usernames: [], emails: [], uidNumbers: [], gidNumbers: [] };
  for await (const entry of directory.search(baseDn, {
    scope: 'sub',
    filter: or(present('uidNumber'), present('gidNumber')),
    attributes: ['uidNumber', 'gidNumber'],
  })) {
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
    for (const uid of all(entry, 'uid')) reserved.push(lowerCase(uid));
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

/** How many member DNs one search checks for existence (an OR of their `uid` values). */
const EXISTENCE_BATCH = 100;

/**
 * Group members that are not this source's users: the ones that no longer exist (left behind by an
 * interrupted run or a hand-made deletion) are cleaned up; live ones belong to someone else and stay.
 * Shared class groups hold other sources' users, so members whose RDN is a `uid` are looked up a batch at a
 * time; anything else one by one.
 */
export async function readDanglingMembers(
  directory: Directory,
  baseDn: string,
  groups: DirectoryGroup[],
  knownUserDns: KnownUsers,
): Promise<string[]> {
  const unknown = new Map<string, string>();
  for (const group of groups) {
    for (const member of group.members) {
      const normalized = normalizeDn(member);
      if (!knownUserDns.has(normalized)) unknown.set(normalized, member);
    }
  }
  const byUid = new Map<string, string[]>();
  const others: [string, string][] = [];
  for (const [normalized, dn] of unknown) {
    const [leaf] = parseDn(dn);
    const only = leaf?.length === 1 ? leaf[0] : undefined;
    if (only && only.attribute.toLowerCase() === 'uid' && isDescendantOf(dn, baseDn)) {
      const uid = only.value.toLowerCase();
      byUid.set(uid, [...(byUid.get(uid) ?? []), normalized]);
    } else others.push([normalized, dn]);
  }
  const existing = new Set<string>();
  const uids = [...byUid.keys()];
  const batches: string[][] = [];
  for (let start = 0; start < uids.length; start += EXISTENCE_BATCH)
    batches.push(uids.slice(start, start + EXISTENCE_BATCH));
  await Promise.all([
    ...batches.map(async (batch) => {
      for await (const entry of directory.search(baseDn, {
        scope: 'sub',
        filter: anyOf('uid', batch),
        attributes: [],
      }))
        existing.add(normalizeDn(entry.dn));
    }),
    ...others.map(async ([normalized, dn]) => {
      if (await directory.exists(dn)) existing.add(normalized);
    }),
  ]);
  return [...unknown.keys()].filter((normalized) => !existing.has(normalized));
}

/** How many users one search for the groups naming them looks for. */
const REFERENCE_BATCH = 100;

/**
 * Every group under the base DN that names any of `users` (`member`, `uniqueMember` or `memberUid`),
 * whoever manages it, read a batch of users at a time; none is read when no one leaves.
 */
export async function readReferencingGroups(
  directory: Directory,
  baseDn: string,
  users: readonly LeavingUser[],
): Promise<ReferencingGroup[]> {
  const groups = new Map<string, ReferencingGroup>();
  for (let start = 0; start < users.length; start += REFERENCE_BATCH) {
    const references = users
      .slice(start, start + REFERENCE_BATCH)
      .flatMap((user) => [
        eq('member', user.dn),
        eq('uniqueMember', user.dn),
        ...(user.username !== '' ? [eq('memberUid', user.username)] : []),
      ]);
    for await (const entry of directory.search(baseDn, {
      scope: 'sub',
      filter: or(...references),
      attributes: ['objectClass', 'member', 'uniqueMember', 'memberUid', ENTRY_CSN],
    })) {
      groups.set(normalizeDn(entry.dn), {
        dn: entry.dn,
        member: all(entry, 'member'),
        uniqueMember: all(entry, 'uniqueMember'),
        memberUid: all(entry, 'memberUid'),
        ours: all(entry, 'objectClass').some((name) => name.toLowerCase() === 'rostersyncgroup'),
        entryCSN: first(entry, ENTRY_CSN),
      });
    }
  }
  return [...groups.values()];
}

/** Receives this source's users one by one while the snapshot is read. */
export interface UserSink {
  /** `joining`: outside the `--school` scope, but its record is in the scoped roster. */
  addUser(user: DirectoryUser, joining?: boolean): void;
  /**
   * A user of an incremental import's listing: the schools it is placed in when it is settled and needs no
   * reading; undefined when it must be read and given to `addUser`.
   */
  addListedUser(listed: ListedUser): readonly string[] | undefined;
  /** Asked after the scope's users: record uids the run would create, to look for in other schools. */
  unmatchedRecordUids(): string[];
  /** Asked after the last user: the users the plan deletes, whose groups are read as well. */
  deletedUsers(): LeavingUser[];
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
  const knownUserDns = new Map<string, string>();
  const schoolsInPlay = new Set(request.classGroups.map((ref) => ref.school.toLowerCase()));
  const addSchools = (schools: readonly string[]) => {
    for (const school of schools) schoolsInPlay.add(school.toLowerCase());
  };
  // Users planned from the listing share their records' (frozen) school lists: each list is lower-cased
  // once, not once per user (a million strings made and dropped at scale).
  const sharedSchoolLists = new Set<readonly string[]>();
  const addSharedSchools = (schools: readonly string[]) => {
    if (sharedSchoolLists.has(schools)) return;
    if (sharedSchoolLists.size < MAX_SCHOOL_LISTS) sharedSchoolLists.add(schools);
    addSchools(schools);
  };
  const addUser = (user: DirectoryUser) => {
    knownUserDns.set(normalizeDn(user.dn), user.dn);
    addSchools(user.schools);
    sink.addUser(user);
  };
  const { listing } = request;
  const [existingContainers] = await Promise.all([
    readExistingContainers(directory, request.containers),
    listing === undefined
      ? readUsers(directory, request, addUser)
      : readIncrementally(
          directory,
          request,
          listing,
          sink,
          knownUserDns,
          (user, schools) => {
            knownUserDns.set(normalizeDn(user.dn), user.dn);
            addSharedSchools(schools);
          },
          addUser,
        ),
  ]);
  await readJoiningUsers(directory, request, sink.unmatchedRecordUids(), (user) => {
    knownUserDns.set(normalizeDn(user.dn), user.dn);
    addSchools(user.schools);
    sink.addUser(user, true);
  });
  const [groups, referencingGroups] = await Promise.all([
    readGroups(directory, request, schoolsInPlay, knownUserDns),
    readReferencingGroups(directory, request.layout.baseDn, sink.deletedUsers()),
  ]);
  const [danglingMembers, taken] = await Promise.all([
    readDanglingMembers(directory, request.layout.baseDn, groups, knownUserDns),
    // New posix groups need free gidNumbers even when no user is created, so posix always reads them.
    request.config.ldap.posix
      ? readNumbersInUse(directory, request.layout.baseDn)
      : Promise.resolve(undefined),
  ]);
  const names = directoryNameLookup(directory, request.layout.baseDn, request.config.ldap.concurrency);
  return { groups, referencingGroups, danglingMembers, existingContainers, taken, names };
}
