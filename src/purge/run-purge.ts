/**
 * One purge run: find this source's users whose purge timestamp has come (a server-side, paged filter),
 * plan their removal, print it, apply it through `UserImport.doDelete`, report.
 */
import type { RunContext } from '../apply/run-context.js';
import { type Config, readSalts } from '../config/index.js';
import { toGeneralizedTime } from '../dates.js';
import { and, type Directory, lte, or } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import type { PurgePlan } from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import {
  ENTRY_CSN,
  readReferencingGroups,
  readReservations,
  retiringUsersFilter,
  sourceUsersFilter,
} from '../snapshot/read.js';
import { readOwnership } from '../snapshot/ownership.js';
import { type DueUser, planPurge } from './plan-purge.js';

export type PurgeOptions = PlannedRunOptions;

export type PurgeOutcome = RunOutcome<PurgePlan>;

/**
 * This source's users whose purge timestamp has come, and (with `purge.mode: retire`) those whose retirement
 * a killed run left under way: the purge resumes them at the step they were in.
 */
async function readDueUsers(directory: Directory, layout: DirectoryLayout, config: Config, now: Date) {
  const names = layout.attributes;
  const due: DueUser[] = [];
  // The server does the date comparison: rostersyncPurgeTimestamp has generalizedTimeOrderingMatch.
  const dueNow = and(
    sourceUsersFilter(names, config.source_uid),
    lte(names.purgeTimestamp, toGeneralizedTime(now)),
  );
  const filter =
    config.purge.mode === 'retire' ? or(dueNow, retiringUsersFilter(names, config.source_uid)) : dueNow;
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter,
    attributes: [
      'uid',
      'mail',
      names.recordUid,
      names.school,
      names.role,
      names.purgeTimestamp,
      names.retirementState,
      ENTRY_CSN,
    ],
  })) {
    const email = entry.attributes.mail?.[0];
    const state = entry.attributes[names.retirementState]?.[0];
    const entryCSN = entry.attributes[ENTRY_CSN]?.[0];
    due.push({
      dn: entry.dn,
      username: entry.attributes.uid?.[0] ?? '',
      recordUid: entry.attributes[names.recordUid]?.[0] ?? '',
      schools: entry.attributes[names.school] ?? [],
      roles: entry.attributes[names.role] ?? [],
      purgeTimestamp: entry.attributes[names.purgeTimestamp]?.[0] ?? '',
      ...(email !== undefined ? { email } : {}),
      ...(state !== undefined ? { retirementState: state } : {}),
      ...(entryCSN !== undefined ? { entryCSN } : {}),
    });
  }
  return due;
}

export async function runPurge(runtime: RunContext, options: PurgeOptions): Promise<PurgeOutcome> {
  const { config, logger, now } = runtime;
  const layout = new DirectoryLayout(config);
  const run = new PlannedRun<PurgePlan>(runtime, 'purge', options, { input: 'purge', schools: [] });
  return run.run({
    // Each problem is one user the purge keeps; the others are purged all the same.
    problemsStopTheRun: false,
    plan: async (directory) => {
      const moveTo = config.purge.mode === 'move' ? config.purge.move_to_dn : undefined;
      const salt = config.purge.mode === 'retire' ? (await readSalts(config)).at(-1) : undefined;
      const [due, reservations, reservationsContainerExists, moveTargetExists] = await Promise.all([
        readDueUsers(directory, layout, config, now),
        readReservations(directory, layout),
        directory.exists(layout.reservationsDn),
        moveTo === undefined ? true : directory.exists(moveTo),
      ]);
      // Every group under the base DN that names a due user, whoever manages it, and every entry it owns: a
      // purged user must leave no member or owner value behind. Found by the server, a batch of users at a time.
      const [groups, ownership] = await Promise.all([
        readReferencingGroups(directory, layout.baseDn, due),
        readOwnership(directory, layout.baseDn, due, config.ownership.last_owner === 'inherit'),
      ]);
      return planPurge({
        config,
        layout,
        now,
        due,
        groups,
        ownership,
        reservations,
        reservationsContainerExists,
        moveTargetExists,
        ...(salt !== undefined ? { salt } : {}),
      });
    },
    report: (plan) => {
      for (const user of plan.skipped) {
        // Seed 002: users the import does not manage (school admins) are never purged automatically.
        logger.warn(`purge skips ${user.username} (${user.dn}): ${user.reason}`, {
          dn: user.dn,
          recordUid: user.recordUid,
        });
      }
    },
  });
}
