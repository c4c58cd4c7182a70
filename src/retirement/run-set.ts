/**
 * `rostersync retirement set USER STATE` (SPEC §8): an admin moves a user to another state of
 * `retirement.states` — `ERRORED` → `RETIRING_GROUPS` to retry from that step, or `ABORTED` to stop. A
 * planned job like every write: a dry run shows it, the audit log records it.
 */
import type { RunContext } from '../apply/run-context.js';
import { readSalts } from '../config/index.js';
import { toGeneralizedTime } from '../dates.js';
import { DirectoryLayout } from '../directory/layout.js';
import { UsageError } from '../errors.js';
import { configDigest } from '../plan/basis.js';
import { PLAN_VERSION, type PlanProblem, type RetirementSetPlan } from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { readRetiringUsers } from './read.js';

export interface RetirementSetOptions extends PlannedRunOptions {
  user: string;
  state: string;
}

export async function runRetirementSet(
  runtime: RunContext,
  options: RetirementSetOptions,
): Promise<RunOutcome<RetirementSetPlan>> {
  const { config, now } = runtime;
  const states = config.retirement.states;
  if (!states.includes(options.state)) {
    throw new UsageError(`STATE: '${options.state}' is not one of retirement.states (${states.join(', ')})`);
  }
  const salts = config.retirement.salts_file !== undefined ? await readSalts(config) : [];
  const layout = new DirectoryLayout(config);
  const names = layout.attributes;
  const run = new PlannedRun<RetirementSetPlan>(runtime, 'retirement-set', options, {
    input: 'retirement set',
    schools: [],
  });
  return run.run({
    problemsStopTheRun: true,
    plan: async (directory) => {
      const found = await readRetiringUsers(directory, layout, config, { names: [options.user], salts });
      const problems: PlanProblem[] = [];
      if (found.length === 0) {
        problems.push({
          where: options.user,
          message: `no user of source ${config.source_uid} in retirement is named '${options.user}'`,
        });
      } else if (found.length > 1) {
        problems.push({
          where: options.user,
          message: `'${options.user}' names ${found.length} users in retirement; give the record uid`,
        });
      }
      const user = found.length === 1 ? found[0] : undefined;
      return {
        version: PLAN_VERSION,
        job: 'retirement-set',
        sourceUid: config.source_uid,
        now: now.toISOString(),
        timezone: config.timezone,
        basedOn: { configDigest: configDigest(config) },
        asked: options.user,
        state: options.state,
        problems,
        actions:
          user === undefined || user.state === options.state
            ? []
            : [
                {
                  kind: 'set-retirement-state',
                  phase: 'updates',
                  dn: user.dn,
                  recordUid: user.recordUid,
                  username: user.username,
                  school: '',
                  from: user.state,
                  to: options.state,
                  changes: [
                    { operation: 'replace', attribute: names.retirementState, values: [options.state] },
                    {
                      operation: 'replace',
                      attribute: names.retirementUpdated,
                      values: [toGeneralizedTime(now)],
                    },
                    // Leaving ERRORED: the error is history; the next purge runs the step again.
                    ...(options.state === 'ERRORED'
                      ? []
                      : [{ operation: 'replace' as const, attribute: names.retirementError, values: [] }]),
                  ],
                },
              ],
      };
    },
  });
}
