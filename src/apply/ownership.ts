/**
 * Owner changes at apply time (SPEC §8): a user whose removal was refused or failed stays exactly as it was,
 * so it keeps its owner values, and an entry it still owns (or a group it is still a member of) takes no
 * one in its place. The summary lists what was written.
 */
import { type Modification, normalizeDn } from '../directory/index.js';
import type { ChangeOwnerAction, PlanAction } from '../plan/types.js';

const DN_VALUED: ReadonlySet<string> = new Set(['owner', 'member', 'uniquemember']);

/**
 * The change as it can go out while the users of `kept` (normalized DN → lower-case username) stay: their
 * values are not removed, and the owners or members that were to replace them are not added.
 */
export function keepingOwners(
  action: ChangeOwnerAction,
  kept: ReadonlyMap<string, string>,
): ChangeOwnerAction {
  if (kept.size === 0) return action;
  const isKept = (dn: string) => kept.has(normalizeDn(dn));
  const ownerKept = action.removed.some(isKept);
  const memberKept = action.membersRemoved.some(isKept);
  if (!ownerKept && !memberKept) return action;
  const keptUids = new Set(kept.values());
  const changes = action.changes
    .map((change): Modification => {
      const attribute = change.attribute.toLowerCase();
      if (change.operation === 'add') {
        const replaces = attribute === 'owner' ? ownerKept : memberKept;
        return replaces ? { ...change, values: [] } : change;
      }
      if (change.operation !== 'delete') return change;
      if (DN_VALUED.has(attribute)) return { ...change, values: change.values.filter((dn) => !isKept(dn)) };
      if (attribute === 'memberuid')
        return { ...change, values: change.values.filter((uid) => !keptUids.has(uid.toLowerCase())) };
      return change;
    })
    .filter((change) => change.values.length > 0);
  return {
    ...action,
    removed: action.removed.filter((dn) => !isKept(dn)),
    added: ownerKept ? [] : action.added,
    membersRemoved: action.membersRemoved.filter((dn) => !isKept(dn)),
    membersAdded: memberKept ? [] : action.membersAdded,
    changes,
  };
}

/** One entry whose owner changed: the values removed and added. */
export interface OwnerChange {
  dn: string;
  removed: string[];
  added: string[];
}

/** Every entry whose owner changed among `actions` (done, or planned in a dry run). */
export function ownerChanges(actions: readonly PlanAction[]): OwnerChange[] {
  return actions.flatMap((action) =>
    action.kind === 'change-owner' && (action.removed.length > 0 || action.added.length > 0)
      ? [{ dn: action.dn, removed: action.removed, added: action.added }]
      : [],
  );
}
