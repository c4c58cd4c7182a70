/**
 * Class groups (`{school}-{class}` under `ldap.groups_dn`): membership kept exact for the users this run
 * manages, everyone else's membership left alone. A user deleted in this run leaves its groups before its
 * entry goes, so an interrupted run never leaves a member value pointing at nothing.
 */
import { type Modification, normalizeDn } from '../directory/index.js';
import type { DirectoryGroup } from '../snapshot/types.js';
import type { DirectoryLayout } from './layout.js';
import type { Scope } from './scope.js';
import type { GroupAction } from './types.js';

export interface WantedGroup {
  school: string;
  className: string;
  /** Final DNs of the managed users who belong in it. */
  members: string[];
}

export interface GroupPlanInput {
  layout: DirectoryLayout;
  scope: Scope;
  sourceUid: string;
  current: DirectoryGroup[];
  wanted: WantedGroup[];
  /** Normalized DNs (before and after this run) of every user this run manages, plus dangling members. */
  managed: ReadonlySet<string>;
  /** Normalized DNs of users deleted in this run. */
  deleted: ReadonlySet<string>;
}

export function groupKey(school: string, className: string): string {
  return `${school.toLowerCase()}\u0000${className.toLowerCase()}`;
}

function memberChanges(added: string[], removed: string[]): Modification[] {
  const changes: Modification[] = [];
  // Adds first: a groupOfNames must never be left without a member, even between two modifications.
  if (added.length > 0) changes.push({ operation: 'add', attribute: 'member', values: added });
  if (removed.length > 0) changes.push({ operation: 'delete', attribute: 'member', values: removed });
  return changes;
}

export function planGroups(input: GroupPlanInput): GroupAction[] {
  const { layout, scope } = input;
  const names = layout.attributes;
  const actions: GroupAction[] = [];
  const wanted = new Map(input.wanted.map((group) => [groupKey(group.school, group.className), group]));
  const seen = new Set<string>();

  const createGroup = (group: WantedGroup): void => {
    const dn = layout.groupDn(group.school, group.className);
    actions.push({
      kind: 'create-group',
      phase: 'groups',
      dn,
      school: group.school,
      className: group.className,
      attributes: {
        objectClass: ['groupOfNames', 'rostersyncGroup'],
        cn: [layout.groupName(group.school, group.className)],
        member: [...group.members].sort(),
        [names.sourceUid]: [input.sourceUid],
        [names.school]: [group.school],
        [names.className]: [group.className],
      },
    });
  };

  for (const group of input.current) {
    if (!scope.includes(group.school)) continue;
    const key = groupKey(group.school, group.className);
    seen.add(key);
    const want = wanted.get(key);
    const base = { dn: group.dn, school: group.school, className: group.className };

    let current = new Map(group.members.map((member) => [normalizeDn(member), member]));
    const leaving = [...current].filter(([normalized]) => input.deleted.has(normalized));
    if (leaving.length > 0) {
      const remaining = new Map([...current].filter(([normalized]) => !input.deleted.has(normalized)));
      if (remaining.size === 0) {
        actions.push({ kind: 'delete-group', phase: 'removals', ...base });
        if (want && want.members.length > 0) createGroup(want);
        continue;
      }
      const removed = leaving.map(([, member]) => member);
      actions.push({
        kind: 'modify-group',
        phase: 'removals',
        ...base,
        added: [],
        removed,
        changes: memberChanges([], removed),
      });
      current = remaining;
    }

    const final = new Map<string, string>();
    for (const [normalized, member] of current)
      if (!input.managed.has(normalized)) final.set(normalized, member);
    for (const member of want?.members ?? []) final.set(normalizeDn(member), member);

    if (final.size === 0) {
      actions.push({ kind: 'delete-group', phase: 'groups', ...base });
      continue;
    }
    const added = [...final].filter(([normalized]) => !current.has(normalized)).map(([, member]) => member);
    const removed = [...current].filter(([normalized]) => !final.has(normalized)).map(([, member]) => member);
    if (added.length > 0 || removed.length > 0) {
      added.sort();
      removed.sort();
      actions.push({
        kind: 'modify-group',
        phase: 'groups',
        ...base,
        added,
        removed,
        changes: memberChanges(added, removed),
      });
    }
  }

  for (const [key, group] of wanted) {
    if (!seen.has(key) && group.members.length > 0) createGroup(group);
  }
  return actions;
}
