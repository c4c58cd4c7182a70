/**
 * Groups that name users a job removes, whoever manages them (another tool's, a hand-made one): each user
 * leaves them before its entry goes, so no member value is left pointing at nothing. Shared by the purge
 * and the import, so both plan these writes the same way and the plan shows every one. Pure.
 */
import { type Modification, normalizeDn } from '../directory/index.js';
import type { ReferencingGroup } from '../snapshot/types.js';
import type { GroupAction, PlanProblem } from './types.js';

/** A user the job removes. */
export interface LeavingUser {
  dn: string;
  username: string;
}

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

export function planReferences(
  groups: readonly ReferencingGroup[],
  users: readonly LeavingUser[],
): ReferencePlan {
  const leaving = new Map(users.map((user) => [normalizeDn(user.dn), user]));
  const leavingUids = new Set(users.map((user) => user.username));
  const kept = new Set<string>();
  const actions: GroupAction[] = [];
  const problems: PlanProblem[] = [];
  for (const group of groups) {
    const changes: Modification[] = [];
    const removedDns: string[] = [];
    let emptied = false;
    for (const attribute of ['member', 'uniqueMember'] as const) {
      const values = group[attribute];
      const gone = values.filter((value) => leaving.has(normalizeDn(value)));
      if (gone.length === 0) continue;
      if (gone.length === values.length) emptied = true;
      changes.push({ operation: 'delete', attribute, values: gone });
      removedDns.push(...gone);
    }
    const goneUids = group.memberUid.filter((uid) => leavingUids.has(uid));
    if (goneUids.length > 0) changes.push({ operation: 'delete', attribute: 'memberUid', values: goneUids });
    if (changes.length === 0) continue;
    const base = { dn: group.dn, school: '', className: '' };
    if (emptied && group.ours) {
      actions.push({
        kind: 'delete-group',
        phase: 'removals',
        ...base,
        members: [...group.member, ...group.uniqueMember],
        memberUids: group.memberUid,
      });
    } else if (emptied) {
      problems.push({
        where: group.dn,
        message: `would lose its last member (${removedDns.join(', ')}); left as it is, the user stays until it is fixed`,
      });
      for (const dn of removedDns) {
        leaving.delete(normalizeDn(dn));
        kept.add(normalizeDn(dn));
      }
    } else {
      actions.push({
        kind: 'modify-group',
        phase: 'removals',
        ...base,
        added: [],
        removed: removedDns,
        changes,
      });
    }
  }
  return { actions, problems, kept };
}
