/**
 * The purge plan (SPEC §5, seed 002): this source's users whose purge timestamp has come, each taken out of
 * every group that names it and then deleted (or moved, `purge.mode`). Users without a role in
 * `purge.roles` are skipped and named — the UCS@school purge likewise leaves school admins alone. Pure, like
 * the import planner.
 */
import type { Config } from '../config/index.js';
import { type Modification, normalizeDn } from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { deleteMode } from '../plan/deactivation.js';
import {
  type DeleteUserAction,
  type GroupAction,
  PLAN_VERSION,
  type PlanProblem,
  type PurgePlan,
  type SkippedUser,
} from '../plan/types.js';
import { configDigest } from '../plan/basis.js';
import { containerEntry } from '../plan/containers.js';
import { reservationEntry } from '../plan/names.js';
import { roleNameOf } from '../plan/user-state.js';

export interface DueUser {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
  /** Raw `ROLE:school:SCHOOL` values. */
  roles: string[];
  purgeTimestamp: string;
}

/** A group anywhere under the base DN that names at least one due user. */
export interface ReferencingGroup {
  dn: string;
  member: string[];
  uniqueMember: string[];
  memberUid: string[];
  /** A class group (any source's: they are shared): rostersync may delete it when it loses its last member. */
  ours: boolean;
}

export interface PurgeInput {
  config: Config;
  layout: DirectoryLayout;
  now: Date;
  due: DueUser[];
  groups: ReferencingGroup[];
  reservations: string[];
  /** Whether the container of reserved usernames exists already. */
  reservationsContainerExists: boolean;
  /** With `purge.mode: move`: whether `purge.move_to_dn` exists already. */
  moveTargetExists?: boolean;
}

export function planPurge(input: PurgeInput): PurgePlan {
  const { config, layout } = input;
  const purgeRoles = new Set(config.purge.roles.map((role) => role.toLowerCase()));
  const skipped: SkippedUser[] = [];
  const problems: PlanProblem[] = [];
  const eligible: DueUser[] = [];
  for (const user of [...input.due].sort((a, b) => a.recordUid.localeCompare(b.recordUid))) {
    const roles = [...new Set(user.roles.map(roleNameOf))];
    if (roles.some((role) => purgeRoles.has(role.toLowerCase()))) eligible.push(user);
    else {
      skipped.push({
        dn: user.dn,
        username: user.username,
        recordUid: user.recordUid,
        roles,
        reason: `no role in purge.roles (${config.purge.roles.join(', ')}); has ${roles.join(', ') || 'none'}`,
      });
    }
  }

  const leaving = new Map(eligible.map((user) => [normalizeDn(user.dn), user]));
  const leavingUids = new Set(eligible.map((user) => user.username));
  const groupActions: GroupAction[] = [];
  for (const group of input.groups) {
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
      groupActions.push({
        kind: 'delete-group',
        phase: 'removals',
        ...base,
        members: [...group.member, ...group.uniqueMember],
        memberUids: group.memberUid,
      });
    } else if (emptied) {
      // A groupOfNames cannot lose its last member, and another tool's group is not ours to delete.
      problems.push({
        where: group.dn,
        message: `would lose its last member (${removedDns.join(', ')}); left as it is, the user stays until it is fixed`,
      });
      for (const dn of removedDns) leaving.delete(normalizeDn(dn));
    } else {
      groupActions.push({
        kind: 'modify-group',
        phase: 'removals',
        ...base,
        added: [],
        removed: removedDns,
        changes,
      });
    }
  }

  const reservations = new Set(input.reservations);
  const deletes: DeleteUserAction[] = [];
  for (const user of eligible) {
    if (!leaving.has(normalizeDn(user.dn))) continue;
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
    };
    const username = user.username.toLowerCase();
    if (config.scheme.reserve_deleted && username !== '' && !reservations.has(username)) {
      action.reservation = reservationEntry(layout, user, config.source_uid, 'purged');
    }
    deletes.push(action);
  }

  const reservationsNeeded =
    !input.reservationsContainerExists && deletes.some((action) => action.reservation);
  const containers = reservationsNeeded
    ? layout
        .containerChain(layout.reservationsDn)
        .map(containerEntry)
        .filter((action) => action !== undefined)
    : [];
  const moveTo = deleteMode(config, input.now).moveTo;
  if (moveTo !== undefined && input.moveTargetExists === false && deletes.length > 0) {
    // doDelete makes a missing `ou=` target itself; planned here too, so the plan and its LDIF show it.
    const target = containerEntry(moveTo);
    if (target?.attributes.objectClass?.includes('organizationalUnit')) containers.push(target);
  }
  return {
    version: PLAN_VERSION,
    job: 'purge',
    sourceUid: config.source_uid,
    now: input.now.toISOString(),
    timezone: config.timezone,
    basedOn: { configDigest: configDigest(config) },
    due: input.due.length,
    skipped,
    problems,
    actions: [...containers, ...groupActions, ...deletes],
  };
}
