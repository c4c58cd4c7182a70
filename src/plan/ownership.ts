/**
 * What happens to what a removed user owned (SPEC §8, seed 003). Every `owner` value naming a user the run
 * removes goes. An entry left without an owner gets the one `ownership.last_owner` picks: `inherit`, the
 * owners of its nearest ancestor that keeps one (an owner leaving in this run does not count), else
 * `ownership.admin_dn`; `admin`, `ownership.admin_dn`; `none`, nobody — as ILIAS hands an object to the
 * owner of the surrounding one. A group whose last member leaves takes the owners it is left with as its
 * members, in the same modify; with nobody to take over, the user is kept. Pure.
 */
import type { Config } from '../config/index.js';
import { type Modification, normalizeDn, parentDn } from '../directory/index.js';
import type { OwnedEntry, OwnershipSnapshot } from '../snapshot/ownership.js';
import type { LeavingUser, ReferencingGroup } from '../snapshot/types.js';
import { planReferences } from './references.js';
import type { ChangeOwnerAction, GroupAction, PlanProblem } from './types.js';

export interface OwnershipInput extends OwnershipSnapshot {
  /** `ownership.last_owner`. */
  lastOwner: 'inherit' | 'admin' | 'none';
  /** `ownership.admin_dn`. */
  adminDn?: string | undefined;
  /**
   * `purge.mode: move`: the leaving users' entries stay (locked, elsewhere), so one of them owned by another
   * leaving user loses that owner too. Deleted entries take their owner values with them.
   */
  leavingEntriesStay?: boolean;
}

/** The config's rules (`ownership.*`, `purge.mode`) over what was read. */
export function ownershipInput(config: Config, snapshot: OwnershipSnapshot): OwnershipInput {
  return {
    ...snapshot,
    lastOwner: config.ownership.last_owner,
    adminDn: config.ownership.admin_dn,
    leavingEntriesStay: config.purge.mode !== 'delete',
  };
}

/** An entry's owners once the users of `leaving` (normalized DNs) are gone. */
export interface OwnersAfter {
  removed: string[];
  added: string[];
  /** Every owner the entry is left with. */
  after: string[];
}

export function ownersAfter(
  entry: OwnedEntry,
  leaving: ReadonlySet<string>,
  input: OwnershipInput,
): OwnersAfter {
  const removed = entry.owner.filter((owner) => leaving.has(normalizeDn(owner)));
  const staying = entry.owner.filter((owner) => !leaving.has(normalizeDn(owner)));
  if (removed.length === 0 || staying.length > 0) return { removed, added: [], after: staying };
  const added = nextOwner(entry.dn, leaving, input);
  return { removed, added, after: added };
}

/** Who owns an entry its last owners leave, by `ownership.last_owner`. */
function nextOwner(dn: string, leaving: ReadonlySet<string>, input: OwnershipInput): string[] {
  const stays = (owner: string) => !leaving.has(normalizeDn(owner));
  const admin = input.adminDn !== undefined && stays(input.adminDn) ? [input.adminDn] : [];
  switch (input.lastOwner) {
    case 'none':
      return [];
    case 'admin':
      return admin;
    case 'inherit':
      for (let parent = parentDn(dn); parent; parent = parentDn(parent)) {
        const owners = (input.ancestorOwners.get(normalizeDn(parent)) ?? []).filter(stays);
        if (owners.length > 0) return owners;
      }
      return admin;
  }
}

export interface ReferencesAndOwners {
  /** `modify-group`, `delete-group` and `change-owner`, phase `removals`: at most one per entry. */
  actions: (GroupAction | ChangeOwnerAction)[];
  problems: PlanProblem[];
  /** Normalized DNs of the users that stay: the last member of a group that nobody can take over. */
  kept: Set<string>;
}

/**
 * The groups that name the leaving users (`planReferences`) and the entries they own, planned together: a
 * group a leaving user owned and was the last member of goes to the owners it is left with instead of
 * keeping the user, and an entry that is both a group and owned changes in one modify.
 */
export function planReferencesAndOwners(
  groups: readonly ReferencingGroup[],
  users: readonly LeavingUser[],
  ownership: OwnershipInput | undefined,
): ReferencesAndOwners {
  if (!ownership || ownership.owned.length === 0) return planReferences(groups, users);
  const owned = new Map(ownership.owned.map((entry) => [normalizeDn(entry.dn), entry]));
  const references = planReferences(groups, users, (group, leaving) => {
    const entry = owned.get(normalizeDn(group.dn));
    if (!entry) return [];
    // Only an owner change hands a group over; a group the leaving users did not own keeps its last member.
    const owners = ownersAfter(entry, leaving, ownership);
    return owners.removed.length > 0 ? owners.after : [];
  });
  const leaving = new Set(users.map((user) => normalizeDn(user.dn)).filter((dn) => !references.kept.has(dn)));
  const deletedGroups = new Set(
    references.actions
      .filter((action) => action.kind === 'delete-group')
      .map((action) => normalizeDn(action.dn)),
  );
  const groupChanges = new Map(
    references.actions.flatMap((action) =>
      action.kind === 'modify-group' ? [[normalizeDn(action.dn), action] as const] : [],
    ),
  );
  const ownerChanges: ChangeOwnerAction[] = [];
  for (const [dn, entry] of [...owned].sort(([a], [b]) => a.localeCompare(b))) {
    if (deletedGroups.has(dn)) continue;
    if (leaving.has(dn) && !ownership.leavingEntriesStay) continue;
    const { removed, added } = ownersAfter(entry, leaving, ownership);
    if (removed.length === 0) continue;
    const changes: Modification[] = [{ operation: 'delete', attribute: 'owner', values: removed }];
    if (added.length > 0) changes.push({ operation: 'add', attribute: 'owner', values: added });
    const group = groupChanges.get(dn);
    ownerChanges.push({
      kind: 'change-owner',
      phase: 'removals',
      dn: entry.dn,
      removed,
      added,
      membersRemoved: group?.removed ?? [],
      membersAdded: group?.added ?? [],
      changes: [...changes, ...(group?.changes ?? [])],
    });
  }
  const merged = new Set(ownerChanges.map((action) => normalizeDn(action.dn)));
  return {
    actions: [
      ...references.actions.filter(
        (action) => action.kind !== 'modify-group' || !merged.has(normalizeDn(action.dn)),
      ),
      ...ownerChanges,
    ],
    problems: references.problems,
    kept: references.kept,
  };
}
