/**
 * `rostersync keep USER…` (SPEC §7): for each user named by username or record uid, the lifecycle warning is
 * lifted (`rostersyncWarningTimestamp`, `rostersyncWarningRule`) and `rostersyncKeptTimestamp` set to now, so
 * every rule's clock restarts from it. A name that matches none of this source's users is a problem. Pure.
 */
import type { AttributeNames, Config } from '../config/index.js';
import { toGeneralizedTime } from '../dates.js';
import type { Modification } from '../directory/index.js';
import { configDigest } from './basis.js';
import { type KeepAction, type KeepPlan, PLAN_VERSION, type PlanProblem } from './types.js';

/** One of this source's users a name could stand for, with its lifecycle marks. */
export interface KeepCandidate {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
  warned: boolean;
  warningRule: boolean;
}

export function planKeep(input: {
  config: Config;
  names: AttributeNames;
  now: Date;
  asked: readonly string[];
  candidates: readonly KeepCandidate[];
}): KeepPlan {
  const { config, names, now } = input;
  const problems: PlanProblem[] = [];
  const chosen = new Map<string, KeepCandidate>();
  for (const name of input.asked) {
    const lower = name.toLowerCase();
    // A record uid is exact (ids may differ only in case); a username is not.
    const matches = input.candidates.filter(
      (user) => user.recordUid === name || user.username.toLowerCase() === lower,
    );
    if (matches.length === 0) {
      problems.push({
        where: name,
        message: `no user of source ${config.source_uid} has the username or record uid '${name}'`,
      });
    } else if (matches.length > 1) {
      problems.push({
        where: name,
        message: `'${name}' names ${matches.length} users (${matches.map((user) => user.dn).join(', ')}); give the record uid`,
      });
    } else {
      const [user] = matches as [KeepCandidate];
      chosen.set(user.dn.toLowerCase(), user);
    }
  }
  const actions: KeepAction[] = [...chosen.values()]
    .sort((a, b) => a.recordUid.localeCompare(b.recordUid))
    .map((user) => {
      const changes: Modification[] = [];
      if (user.warned) changes.push({ operation: 'delete', attribute: names.warningTimestamp, values: [] });
      if (user.warningRule) changes.push({ operation: 'delete', attribute: names.warningRule, values: [] });
      changes.push({
        operation: 'replace',
        attribute: names.keptTimestamp,
        values: [toGeneralizedTime(now)],
      });
      return {
        kind: 'keep',
        phase: 'updates',
        dn: user.dn,
        recordUid: user.recordUid,
        username: user.username,
        school: user.schools[0] ?? '',
        changes,
      };
    });
  return {
    version: PLAN_VERSION,
    job: 'keep',
    sourceUid: config.source_uid,
    now: now.toISOString(),
    timezone: config.timezone,
    basedOn: { configDigest: configDigest(config) },
    asked: [...input.asked],
    problems,
    actions,
  };
}
