/**
 * The purge plan (SPEC §5, seed 002): this source's users whose purge timestamp has come, each taken out of
 * every group that names it and then deleted (or moved, `purge.mode`). Users without a role in
 * `purge.roles` are skipped and named — the UCS@school purge likewise leaves school admins alone. Pure, like
 * the import planner.
 */
import type { Config } from '../config/index.js';
import { normalizeDn } from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { deleteMode } from '../plan/deactivation.js';
import {
  type DeleteUserAction,
  PLAN_VERSION,
  type PlanProblem,
  type PurgePlan,
  type SkippedUser,
} from '../plan/types.js';
import { configDigest } from '../plan/basis.js';
import { containerEntry } from '../plan/containers.js';
import { reservationEntry } from '../plan/names.js';
import { planReferences } from '../plan/references.js';
import { roleNameOf } from '../plan/user-state.js';
import type { ReferencingGroup } from '../snapshot/types.js';

export interface DueUser {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
  /** Raw `ROLE:school:SCHOOL` values. */
  roles: string[];
  purgeTimestamp: string;
}

export type { ReferencingGroup };

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

  const references = planReferences(input.groups, eligible);
  problems.push(...references.problems);

  const reservations = new Set(input.reservations);
  const deletes: DeleteUserAction[] = [];
  for (const user of eligible) {
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
    // Made here, not by doDelete, so the plan and its LDIF show it; any other missing target fails the moves.
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
    actions: [...containers, ...references.actions, ...deletes],
  };
}
