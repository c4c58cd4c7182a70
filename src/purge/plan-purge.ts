/**
 * The purge plan (SPEC §5, seed 002): this source's users whose purge timestamp has come, each taken out of
 * every group that names it and then deleted (or moved, `purge.mode`). Users without a role in
 * `purge.roles` are skipped and named — the UCS@school purge likewise leaves school admins alone. Pure, like
 * the import planner.
 */
import type { Config } from '../config/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { PLAN_VERSION, type PlanProblem, type PurgePlan, type SkippedUser } from '../plan/types.js';
import { configDigest, heldBasis } from '../plan/basis.js';
import { normalizeDn } from '../directory/index.js';
import { planRemovals } from '../plan/removal.js';
import { roleNameOf } from '../plan/user-state.js';
import type { ReferencingGroup } from '../snapshot/types.js';
import type { OwnershipSnapshot } from '../snapshot/ownership.js';

export interface DueUser {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
  /** Raw `ROLE:school:SCHOOL` values. */
  roles: string[];
  purgeTimestamp: string;
  /** The address, for the pseudonym a retirement gives it. */
  email?: string;
  /** Its retirement state, when a retirement is under way. */
  retirementState?: string;
  /** Its CSN when read, for a held plan (SPEC §11). */
  entryCSN?: string;
}

export type { ReferencingGroup };

export interface PurgeInput {
  config: Config;
  layout: DirectoryLayout;
  now: Date;
  due: DueUser[];
  groups: ReferencingGroup[];
  /** The entries the due users own, and their ancestors' owners (SPEC §8). */
  ownership?: OwnershipSnapshot;
  reservations: string[];
  /** Whether the container of reserved usernames exists already. */
  reservationsContainerExists: boolean;
  /** With `purge.mode: move`: whether `purge.move_to_dn` exists already. */
  moveTargetExists?: boolean;
  /** With `purge.mode: retire`: the newest salt, for the pseudonyms the plan shows. */
  salt?: string;
}

export function planPurge(input: PurgeInput): PurgePlan {
  const { config } = input;
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

  const removals = planRemovals({ ...input, users: eligible });
  const csns = new Map<string, string>();
  for (const { dn, entryCSN } of [...eligible, ...input.groups, ...(input.ownership?.owned ?? [])])
    if (entryCSN !== undefined) csns.set(normalizeDn(dn), entryCSN);
  problems.push(...removals.problems);
  return {
    version: PLAN_VERSION,
    job: 'purge',
    sourceUid: config.source_uid,
    now: input.now.toISOString(),
    timezone: config.timezone,
    basedOn: {
      configDigest: configDigest(config),
      ...heldBasis(removals.actions, (dn) => csns.get(dn)),
    },
    due: input.due.length,
    skipped,
    problems,
    actions: removals.actions,
  };
}
