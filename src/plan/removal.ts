/**
 * The deletes of users a job removes outside the roster (the purge, a lifecycle rule's `delete`): each user
 * taken out of every group that names it and every owner value naming it (SPEC §8), then deleted (or locked
 * and moved, `purge.mode: move`), its username kept reserved (`scheme.reserve_deleted`), and the containers
 * the reservations and moves need made first. Pure.
 */
import type { Config } from '../config/index.js';
import { normalizeDn } from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import type { ReferencingGroup } from '../snapshot/types.js';
import { archiveOf } from './archive.js';
import { containerEntry } from './containers.js';
import { deleteMode } from './deactivation.js';
import { reservationEntry } from './names.js';
import { pseudonymSettings, pseudonymsFor, wipedAttributes } from './retirement.js';
import type { OwnershipSnapshot } from '../snapshot/ownership.js';
import { ownershipInput, planReferencesAndOwners } from './ownership.js';
import type { CreateContainerAction, DeleteUserAction, PlanAction, PlanProblem } from './types.js';

/** A user to be removed, as the job read it. */
export interface RemovedUser {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
  /** The address, for the pseudonym a retirement gives it. */
  email?: string;
  /** Its retirement state, when a retirement is under way (resumed by this run). */
  retirementState?: string;
}

export interface RemovalInput {
  config: Config;
  layout: DirectoryLayout;
  now: Date;
  users: readonly RemovedUser[];
  /** Every group under the base DN that names one of `users`. */
  groups: readonly ReferencingGroup[];
  /** Usernames (lower-case) reserved already. */
  reservations: readonly string[];
  /** Whether the container of reserved usernames exists already. */
  reservationsContainerExists: boolean;
  /** With `purge.mode: move`: whether `purge.move_to_dn` exists already. */
  moveTargetExists?: boolean;
  /** Every entry under the base DN that one of `users` owns (SPEC §8), and its ancestors' owners. */
  ownership?: OwnershipSnapshot;
  /** Set on every delete (the lifecycle rule that removes the user). */
  rule?: string;
  /** With `purge.mode: retire`: the newest salt, for the pseudonyms the plan shows. */
  salt?: string;
}

export interface Removals {
  /** Containers first, then the group changes, then the deletes: apply order. */
  actions: PlanAction[];
  deletes: DeleteUserAction[];
  /** Users kept because a group cannot lose them (the last member of a group nobody can take over). */
  problems: PlanProblem[];
}

export function planRemovals(input: RemovalInput): Removals {
  const { config, layout } = input;
  const references = planReferencesAndOwners(
    input.groups,
    input.users,
    input.ownership && ownershipInput(config, input.ownership),
  );
  const reservations = new Set(input.reservations);
  const deletes: DeleteUserAction[] = [];
  for (const user of input.users) {
    if (references.kept.has(normalizeDn(user.dn))) continue;
    const action: DeleteUserAction = {
      kind: 'delete',
      phase: 'removals',
      dn: user.dn,
      recordUid: user.recordUid,
      username: user.username,
      school: user.schools[0] ?? '',
      // Every group under the base DN was read: nothing is left for doDelete to look for.
      sweepReferences: false,
      ...deleteMode(config, input.now),
      // A resumed retirement past its ARCHIVE step has its archive: a new one would hold pseudonyms.
      ...(archivedAlready(user.retirementState) ? {} : archiveOf(config, input.now, user.username)),
      ...(input.rule !== undefined ? { rule: input.rule } : {}),
    };
    if (action.mode === 'retire' && input.salt !== undefined) {
      action.retirement = {
        pseudonyms: pseudonymsFor({ ...user, email: user.email }, input.salt, pseudonymSettings(config)),
        wipe: wipedAttributes(config),
      };
    }
    const username = user.username.toLowerCase();
    // A retired name stays taken by its hash alone: no clear-text reservation (SPEC §8).
    if (
      action.mode !== 'retire' &&
      config.scheme.reserve_deleted &&
      username !== '' &&
      !reservations.has(username)
    ) {
      action.reservation = reservationEntry(layout, user, config.source_uid, 'purged');
      reservations.add(username);
    }
    deletes.push(action);
  }

  const reservationsNeeded =
    !input.reservationsContainerExists && deletes.some((action) => action.reservation);
  const containers: CreateContainerAction[] = reservationsNeeded
    ? layout
        .containerChain(layout.reservationsDn)
        .map(containerEntry)
        .filter((action) => action !== undefined)
    : [];
  const moveTo = deleteMode(config, input.now).moveTo;
  if (moveTo !== undefined && input.moveTargetExists === false && deletes.length > 0) {
    // Made here, not by doDelete, so the plan and its LDIF show it; any other missing target fails the moves.
    const target = containerEntry(moveTo);
    if (target?.attributes.objectClass?.includes('organizationalUnit')) containers.push(target);
  }
  return {
    actions: [...containers, ...references.actions, ...deletes],
    deletes,
    problems: references.problems,
  };
}

/** Whether a retirement in this state has written its archive (it is past `RETIRING_ARCHIVE`). */
function archivedAlready(state: string | undefined): boolean {
  return state !== undefined && state !== 'PENDING' && state !== 'RETIRING_ARCHIVE';
}
