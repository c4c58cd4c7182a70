/**
 * `rostersync retirement populate-states` (SPEC §8; Open edX's populate_retirement_states): makes the state
 * list kept in the directory equal to `retirement.states`, idempotently, and says what changed — `Added:`,
 * `Removed:`, `Remaining:` — then the current states with their step numbers, naming the users left in a
 * state the list no longer has.
 */
import type { RunContext } from '../apply/run-context.js';
import { dn, rdn } from '../dn.js';
import { DirectoryLayout } from '../directory/layout.js';
import { configDigest } from '../plan/basis.js';
import {
  type CreateContainerAction,
  PLAN_VERSION,
  type RetirementStatesPlan,
  type WriteRetirementStatesAction,
} from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { readRetiringUsers } from './read.js';

/** Where the list is kept: an entry under `ou=rostersync` (run state, SPEC §5), a `description` value `N:STATE` per state. */
export function retirementStatesDn(layout: DirectoryLayout): string {
  return dn(rdn('cn', 'retirement-states'), layout.runStateDn);
}

/** Where earlier versions kept it, directly under the base DN: read while the new place is empty, then removed. */
export function oldRetirementStatesDn(layout: DirectoryLayout): string {
  return dn(rdn('cn', 'rostersync-retirement-states'), layout.baseDn);
}

/** `N:STATE` values in step order. */
function storedStates(descriptions: readonly string[]): string[] {
  return descriptions
    .map((value) => /^(\d+):([A-Z][A-Z0-9_]*)$/.exec(value))
    .filter((match) => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((match) => match[2] ?? '');
}

const numbered = (states: readonly string[]): string[] =>
  states.map((state, index) => `${index + 1}:${state}`);

export async function runPopulateStates(
  runtime: RunContext,
  options: PlannedRunOptions,
): Promise<RunOutcome<RetirementStatesPlan>> {
  const { config, now, stdout } = runtime;
  const layout = new DirectoryLayout(config);
  const target = retirementStatesDn(layout);
  const wanted = config.retirement.states;
  const run = new PlannedRun<RetirementStatesPlan>(runtime, 'retirement-states', options, {
    input: 'retirement populate-states',
    schools: [],
  });
  const outcome = await run.run({
    problemsStopTheRun: true,
    plan: async (directory) => {
      const entry = await directory.searchOne(target, ['description']);
      const old = await directory.searchOne(oldRetirementStatesDn(layout), ['description']);
      const stored = entry ?? old;
      const current = stored ? storedStates(stored.attributes.description ?? []) : [];
      const added = wanted.filter((state) => !current.includes(state));
      const removed = current.filter((state) => !wanted.includes(state));
      const remaining = current.filter((state) => wanted.includes(state));
      const stranded = (await readRetiringUsers(directory, layout, config))
        .filter((user) => !wanted.includes(user.state))
        .map(({ dn: userDn, username, state }) => ({ dn: userDn, username, state }));
      const same = entry !== undefined && current.join(',') === wanted.join(',');
      const container: CreateContainerAction[] =
        entry === undefined && !(await directory.exists(layout.runStateDn))
          ? [
              {
                kind: 'create-container',
                phase: 'containers',
                dn: layout.runStateDn,
                attributes: { objectClass: ['organizationalUnit'], ou: ['rostersync'] },
              },
            ]
          : [];
      // The list at the new place; the old one goes in the same action, once the new one is written.
      const write: WriteRetirementStatesAction = {
        kind: 'write-retirement-states',
        phase: 'updates',
        dn: target,
        ...(old !== undefined ? { removeOld: old.dn } : {}),
      };
      if (entry === undefined) {
        write.add = {
          objectClass: ['applicationProcess'],
          cn: ['retirement-states'],
          description: numbered(wanted),
        };
      } else if (!same) {
        write.replace = [{ operation: 'replace', attribute: 'description', values: numbered(wanted) }];
      }
      const writes = write.add || write.replace || write.removeOld !== undefined ? [write] : [];
      return {
        version: PLAN_VERSION,
        job: 'retirement-states',
        sourceUid: config.source_uid,
        now: now.toISOString(),
        timezone: config.timezone,
        basedOn: { configDigest: configDigest(config) },
        added,
        removed,
        remaining,
        states: [...wanted],
        stranded,
        problems: [],
        actions: [...container, ...writes],
      };
    },
  });
  const plan = outcome.plan;
  if (plan) stdout.write(renderDifference(plan, options.dryRun));
  return outcome;
}

export function renderDifference(plan: RetirementStatesPlan, dryRun: boolean): string {
  const list = (states: readonly string[]) => (states.length > 0 ? states.join(', ') : '-');
  const lines = [
    plan.actions.length === 0
      ? 'The stored states equal retirement.states; nothing to change.'
      : dryRun
        ? 'Would make the stored states equal retirement.states. Differences:'
        : 'States updated. Differences:',
    `Added: ${list(plan.added)}`,
    `Removed: ${list(plan.removed)}`,
    `Remaining: ${list(plan.remaining)}`,
    ...plan.actions.flatMap((action) =>
      action.kind === 'write-retirement-states' && action.removeOld !== undefined
        ? [`The list ${dryRun ? 'would move' : 'moved'} from ${action.removeOld} to ${action.dn}.`]
        : [],
    ),
    'Current states:',
    ...plan.states.map((state, index) => `  ${String(index + 1).padStart(2)} ${state}`),
  ];
  for (const user of plan.stranded) {
    lines.push(`User ${user.username} (${user.dn}) is in state ${user.state}, which the list no longer has`);
  }
  return `${lines.join('\n')}\n`;
}
