/**
 * Groups that name users a job removes, whoever manages them (another tool's, a hand-made one): each user
 * leaves them before its entry goes, so no member value is left pointing at nothing. Shared by the purge
 * and the import, so both plan these writes the same way and the plan shows every one. Pure.
 */
import { type Modification, normalizeDn } from '../directory/index.js';
import type { LeavingUser, ReferencingGroup } from '../snapshot/types.js';
import type { GroupAction, PlanProblem } from './types.js';
import { appendAll } from '../arrays.js';

export interface ReferencePlan {
  /** `modify-group` (or `delete-group` for a class group that loses its last member), phase `removals`. */
  actions: GroupAction[];
  problems: PlanProblem[];
  /**
   * Normalized DNs of the users that stay: the last member of a group rostersync must not delete. A
   * groupOfNames cannot lose its last member, and another tool's group is not ours to delete.
   */
  kept: Set<string>;
}

interface Removal {
  changes: Modification[];
  /** The member and uniqueMember values that go, as the group spells them. */
  removedDns: string[];
  /** Every member (or every uniqueMember) value goes: a groupOfNames cannot be left like that. */
  emptied: boolean;
}

/** What `group` loses when the users of `dns` (normalized) and `uids` leave; undefined when nothing. */
function removalFrom(
  group: ReferencingGroup,
  dns: ReadonlySet<string>,
  uids: ReadonlySet<string>,
): Removal | undefined {
  const changes: Modification[] = [];
  const removedDns: string[] = [];
  let emptied = false;
  for (const attribute of ['member', 'uniqueMember'] as const) {
    const values = group[attribute];
    const gone = values.filter((value) => dns.has(normalizeDn(value)));
    if (gone.length === 0) continue;
    if (gone.length === values.length) emptied = true;
    changes.push({ operation: 'delete', attribute, values: gone });
    appendAll(removedDns, gone);
  }
  const goneUids = group.memberUid.filter((uid) => uids.has(uid));
  if (goneUids.length > 0) changes.push({ operation: 'delete', attribute: 'memberUid', values: goneUids });
  return changes.length > 0 ? { changes, removedDns, emptied } : undefined;
}

/**
 * Who takes the place of the leaving users in a group they would leave without `member` (or
 * `uniqueMember`), given the normalized DNs of those leaving; nobody (`[]`) keeps them.
 */
export type Successor = (group: ReferencingGroup, leaving: ReadonlySet<string>) => string[];

/** The successors go in every member attribute the removal empties, in the modify that empties it. */
function successorChanges(group: ReferencingGroup, removal: Removal, successors: string[]): Modification[] {
  if (successors.length === 0) return [];
  const removed = new Set(removal.removedDns);
  return (['member', 'uniqueMember'] as const)
    .filter((attribute) => group[attribute].length > 0 && group[attribute].every((dn) => removed.has(dn)))
    .map((attribute) => ({ operation: 'add', attribute, values: successors }));
}

export function planReferences(
  groups: readonly ReferencingGroup[],
  users: readonly LeavingUser[],
  successor: Successor = () => [],
): ReferencePlan {
  const kept = new Set<string>();
  const problems: PlanProblem[] = [];
  // A user kept by one group stays in all of them: planned again without it until no one more is kept.
  for (;;) {
    const leaving = users.filter((user) => !kept.has(normalizeDn(user.dn)));
    const dns = new Set(leaving.map((user) => normalizeDn(user.dn)));
    const uids = new Set(leaving.map((user) => user.username).filter((uid) => uid !== ''));
    const actions: GroupAction[] = [];
    let keptMore = false;
    for (const group of groups) {
      const removal = removalFrom(group, dns, uids);
      if (!removal) continue;
      const base = { dn: group.dn, school: '', className: '' };
      const successors = removal.emptied && !group.ours ? successor(group, dns) : [];
      if (removal.emptied && group.ours) {
        actions.push({
          kind: 'delete-group',
          phase: 'removals',
          ...base,
          members: [...group.member, ...group.uniqueMember],
          memberUids: group.memberUid,
        });
      } else if (removal.emptied && successors.length === 0) {
        problems.push({
          where: group.dn,
          message: `would lose its last member (${removal.removedDns.join(', ')}); left as it is, the user stays until it is fixed`,
          userKept: true,
        });
        for (const dn of removal.removedDns) kept.add(normalizeDn(dn));
        keptMore = true;
      } else {
        actions.push({
          kind: 'modify-group',
          phase: 'removals',
          ...base,
          added: successors,
          removed: removal.removedDns,
          changes: [...removal.changes, ...successorChanges(group, removal, successors)],
        });
      }
    }
    if (!keptMore) return { actions, problems, kept };
  }
}
