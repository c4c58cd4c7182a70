/**
 * Class groups (`{school}-{class}` under `ldap.groups_dn`): membership kept exact for the users this run
 * manages, everyone else's membership left alone. A class group is shared by every source that has pupils
 * in that class, and may have been made by hand before the first import: a source never creates one that
 * exists, and takes up a hand-made one by adding the `rostersyncGroup` class to it. A user deleted in this run leaves its groups before its
 * entry goes, so an interrupted run never leaves a member value pointing at nothing. With `ldap.posix`,
 * groups are posixGroups and `memberUid` follows `member`.
 */
import { type Modification, normalizeDn } from '../directory/index.js';
import type { ClassRef, RosterRecord } from '../roster/index.js';
import type { DirectoryGroup } from '../snapshot/types.js';
import type { DirectoryLayout } from '../directory/layout.js';
import type { Scope } from './scope.js';
import type { GroupAction } from './types.js';

export interface GroupMember {
  dn: string;
  username: string;
}

export interface WantedGroup {
  school: string;
  className: string;
  /** The managed users who belong in it, with their DNs after this run. */
  members: GroupMember[];
}

export interface GroupPlanInput {
  layout: DirectoryLayout;
  scope: Scope;
  sourceUid: string;
  current: DirectoryGroup[];
  wanted: WantedGroup[];
  /** Normalized DNs (before and after this run) of every user this run manages, plus dangling members. */
  managed: ReadonlySet<string>;
  /** Lower-cased usernames of every user this run manages. */
  managedUsernames: ReadonlySet<string>;
  /** Users deleted in this run. */
  deleted: ReadonlySet<string>;
  deletedUsernames: ReadonlySet<string>;
  /** Users moved in this run: normalized old DN → new DN. Member values follow them in every group. */
  renamed: ReadonlyMap<string, string>;
  /** Hands out gidNumbers for new groups when `ldap.posix` is on. */
  nextGidNumber: (() => number) | undefined;
}

/** Which member attributes a group entry can hold, by its object classes (lower-cased). */
export function memberAttributes(objectClasses: readonly string[]): { member: boolean; memberUid: boolean } {
  const classes = new Set(objectClasses.map((value) => value.toLowerCase()));
  return {
    member: classes.has('groupofnames') || classes.has('rostersyncgroup'),
    memberUid: classes.has('posixgroup'),
  };
}

/** Where a user of this run ends up, with the classes its roster row names. */
export interface Placement {
  dn: string;
  username: string;
  record: Pick<RosterRecord, 'classes'>;
  /** Its schools after this run. */
  schools: string[];
}

/** The class groups this run's users belong in: a class of one of this run's schools the user is in. */
export function wantedGroups(placements: readonly Placement[], scope: Scope): WantedGroup[] {
  const wanted = new Map<string, WantedGroup>();
  // Records share their school lists and class refs (roster/shared-values.ts): what is derived from them is
  // derived once, not once per user of a large source.
  const schoolSets = new Map<readonly string[], ReadonlySet<string>>();
  const keys = new Map<ClassRef, string>();
  for (const placement of placements) {
    let schools = schoolSets.get(placement.schools);
    if (schools === undefined) {
      schools = new Set(placement.schools.map((school) => school.toLowerCase()));
      schoolSets.set(placement.schools, schools);
    }
    for (const ref of placement.record.classes) {
      if (!scope.includes(ref.school) || !schools.has(ref.school.toLowerCase())) continue;
      let key = keys.get(ref);
      if (key === undefined) {
        key = groupKey(ref.school, ref.name);
        keys.set(ref, key);
      }
      const group = wanted.get(key) ?? { school: ref.school, className: ref.name, members: [] };
      // The placement is a member as it is (it has the DN and username): no object per membership.
      group.members.push(placement);
      wanted.set(key, group);
    }
  }
  return [...wanted.values()];
}

export function groupKey(school: string, className: string): string {
  return `${school.toLowerCase()}\u0000${className.toLowerCase()}`;
}

interface Membership {
  /** normalized DN → DN as stored */
  dns: Map<string, string>;
  /** lower-cased uid → uid as stored */
  uids: Map<string, string>;
}

interface Holds {
  member: boolean;
  memberUid: boolean;
}

/** A groupOfNames must keep at least one member; any other group is empty when it names no one at all. */
function isEmpty(membership: Membership, objectClasses: readonly string[]): boolean {
  return membership.dns.size === 0 && (objectClasses.includes('groupofnames') || membership.uids.size === 0);
}

function membershipChanges(current: Membership, final: Membership, holds: Holds) {
  const posix = holds.memberUid;
  const added = [...final.dns]
    .filter(([key]) => !current.dns.has(key))
    .map(([, dn]) => dn)
    .sort();
  const removed = [...current.dns]
    .filter(([key]) => !final.dns.has(key))
    .map(([, dn]) => dn)
    .sort();
  const addedUids = posix
    ? [...final.uids]
        .filter(([key]) => !current.uids.has(key))
        .map(([, uid]) => uid)
        .sort()
    : [];
  const removedUids = posix
    ? [...current.uids]
        .filter(([key]) => !final.uids.has(key))
        .map(([, uid]) => uid)
        .sort()
    : [];
  const changes: Modification[] = [];
  if (!holds.member) {
    added.length = 0;
    removed.length = 0;
  }
  // Adds first: a group must never be left without a member, even between two modifications.
  if (added.length > 0) changes.push({ operation: 'add', attribute: 'member', values: added });
  if (removed.length > 0) changes.push({ operation: 'delete', attribute: 'member', values: removed });
  if (addedUids.length > 0) changes.push({ operation: 'add', attribute: 'memberUid', values: addedUids });
  if (removedUids.length > 0)
    changes.push({ operation: 'delete', attribute: 'memberUid', values: removedUids });
  return { added, removed, changes };
}

/** A group this run does not manage still gets the new DN of a member this run moved. */
function followRenames(group: DirectoryGroup, renamed: ReadonlyMap<string, string>): GroupAction | undefined {
  const moved = group.members.filter((member) => renamed.has(normalizeDn(member)));
  if (moved.length === 0) return undefined;
  const added = moved.map((member) => renamed.get(normalizeDn(member)) ?? member).sort();
  const removed = [...moved].sort();
  return {
    kind: 'modify-group',
    phase: 'groups',
    dn: group.dn,
    school: group.school,
    className: group.className,
    added,
    removed,
    changes: [
      { operation: 'add', attribute: 'member', values: added },
      { operation: 'delete', attribute: 'member', values: removed },
    ],
  };
}

export function planGroups(input: GroupPlanInput): GroupAction[] {
  const { layout, scope } = input;
  const names = layout.attributes;
  const posix = input.nextGidNumber !== undefined;
  const actions: GroupAction[] = [];
  const wanted = new Map(input.wanted.map((group) => [groupKey(group.school, group.className), group]));
  const seen = new Set<string>();

  const createGroup = (group: WantedGroup): void => {
    const dn = layout.groupDn(group.school, group.className);
    const attributes: Record<string, string[]> = {
      objectClass: posix ? ['posixGroup', 'rostersyncGroup'] : ['groupOfNames', 'rostersyncGroup'],
      cn: [layout.groupName(group.school, group.className)],
      member: group.members.map((member) => member.dn).sort(),
      [names.sourceUid]: [input.sourceUid],
      [names.school]: [group.school],
      [names.className]: [group.className],
    };
    if (input.nextGidNumber) {
      attributes.gidNumber = [String(input.nextGidNumber())];
      attributes.memberUid = group.members.map((member) => member.username).sort();
    }
    actions.push({
      kind: 'create-group',
      phase: 'groups',
      dn,
      school: group.school,
      className: group.className,
      attributes,
    });
  };

  for (const group of input.current) {
    if (!scope.includes(group.school)) {
      const follow = followRenames(group, input.renamed);
      if (follow) actions.push(follow);
      continue;
    }
    const key = groupKey(group.school, group.className);
    seen.add(key);
    const want = wanted.get(key);
    const base = { dn: group.dn, school: group.school, className: group.className };
    // Made by hand and asked for by the roster: taken up as a class group, then managed like any other.
    const stamp: Modification[] =
      !group.objectClasses.includes('rostersyncgroup') && want && want.members.length > 0
        ? [
            { operation: 'add', attribute: 'objectClass', values: ['rostersyncGroup'] },
            { operation: 'replace', attribute: names.sourceUid, values: [input.sourceUid] },
            { operation: 'replace', attribute: names.school, values: [group.school] },
            { operation: 'replace', attribute: names.className, values: [group.className] },
          ]
        : [];
    const objectClasses =
      stamp.length > 0 ? [...group.objectClasses, 'rostersyncgroup'] : group.objectClasses;
    const holds = memberAttributes(objectClasses);
    const deleteGroup = (phase: 'removals' | 'groups', membership: Membership): void => {
      actions.push({
        kind: 'delete-group',
        phase,
        ...base,
        members: [...membership.dns.values()].sort(),
        memberUids: [...membership.uids.values()].sort(),
      });
    };

    let current: Membership = {
      dns: new Map(group.members.map((member) => [normalizeDn(member), member])),
      uids: new Map(group.memberUids.map((uid) => [uid.toLowerCase(), uid])),
    };
    const leaving =
      [...current.dns.keys()].some((key) => input.deleted.has(key)) ||
      [...current.uids.keys()].some((key) => input.deletedUsernames.has(key));
    if (leaving) {
      const remaining: Membership = {
        dns: new Map([...current.dns].filter(([key]) => !input.deleted.has(key))),
        uids: new Map([...current.uids].filter(([key]) => !input.deletedUsernames.has(key))),
      };
      if (isEmpty(remaining, group.objectClasses)) {
        deleteGroup('removals', current);
        if (want && want.members.length > 0) createGroup(want);
        continue;
      }
      const { removed, changes } = membershipChanges(
        current,
        remaining,
        memberAttributes(group.objectClasses),
      );
      actions.push({ kind: 'modify-group', phase: 'removals', ...base, added: [], removed, changes });
      current = remaining;
    }

    const final: Membership = { dns: new Map(), uids: new Map() };
    for (const [key, dn] of current.dns) if (!input.managed.has(key)) final.dns.set(key, dn);
    for (const [key, uid] of current.uids) if (!input.managedUsernames.has(key)) final.uids.set(key, uid);
    for (const member of want?.members ?? []) {
      if (holds.member) final.dns.set(normalizeDn(member.dn), member.dn);
      if (holds.memberUid) final.uids.set(member.username.toLowerCase(), member.username);
    }

    if (isEmpty(final, objectClasses)) {
      deleteGroup('groups', current);
      continue;
    }
    const { added, removed, changes } = membershipChanges(current, final, holds);
    if (changes.length > 0 || stamp.length > 0)
      actions.push({
        kind: 'modify-group',
        phase: 'groups',
        ...base,
        added,
        removed,
        changes: [...stamp, ...changes],
      });
  }

  for (const [key, group] of wanted) {
    if (!seen.has(key) && group.members.length > 0) createGroup(group);
  }
  return actions;
}
