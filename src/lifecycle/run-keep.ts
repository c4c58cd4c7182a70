/**
 * One `rostersync keep` run (SPEC §7): find this source's users by username or record uid, plan lifting their
 * lifecycle warnings and restarting their clocks, and apply it on the planned-run path like every job.
 */
import type { RunContext } from '../apply/run-context.js';
import { attributeNames } from '../config/index.js';
import { and, anyOf, type Directory, or } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { type KeepCandidate, planKeep } from '../plan/keep.js';
import type { KeepPlan } from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { sourceUsersFilter } from '../snapshot/read.js';

export interface KeepOptions extends PlannedRunOptions {
  /** Usernames or record uids. */
  users: string[];
}

export type KeepOutcome = RunOutcome<KeepPlan>;

/** How many names one search looks for. */
const NAME_BATCH = 100;

async function readCandidates(
  directory: Directory,
  layout: DirectoryLayout,
  sourceUid: string,
  asked: readonly string[],
): Promise<KeepCandidate[]> {
  const names = layout.attributes;
  const candidates: KeepCandidate[] = [];
  for (let start = 0; start < asked.length; start += NAME_BATCH) {
    const batch = asked.slice(start, start + NAME_BATCH);
    for await (const entry of directory.search(layout.baseDn, {
      scope: 'sub',
      filter: and(
        sourceUsersFilter(names, sourceUid),
        or(anyOf('uid', batch), anyOf(names.recordUid, batch)),
      ),
      attributes: ['uid', names.recordUid, names.school, names.warningTimestamp, names.warningRule],
    })) {
      candidates.push({
        dn: entry.dn,
        username: entry.attributes.uid?.[0] ?? '',
        recordUid: entry.attributes[names.recordUid]?.[0] ?? '',
        schools: entry.attributes[names.school] ?? [],
        warned: (entry.attributes[names.warningTimestamp] ?? []).length > 0,
        warningRule: (entry.attributes[names.warningRule] ?? []).length > 0,
      });
    }
  }
  // A user found by both its username and its record uid is one user.
  return [...new Map(candidates.map((user) => [user.dn.toLowerCase(), user])).values()];
}

export async function runKeep(runtime: RunContext, options: KeepOptions): Promise<KeepOutcome> {
  const { config, now } = runtime;
  const layout = new DirectoryLayout(config);
  const run = new PlannedRun<KeepPlan>(runtime, 'keep', options, { input: 'keep', schools: [] });
  return run.run({
    // A name that matches no one is reported; the users that were found are kept all the same.
    problemsStopTheRun: false,
    plan: async (directory) =>
      planKeep({
        config,
        names: attributeNames(config),
        now,
        asked: options.users,
        candidates: await readCandidates(directory, layout, config.source_uid, options.users),
      }),
  });
}
