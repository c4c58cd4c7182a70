/** What a run did, per action and school: logged as one line and written with `--summary-json`. */
import type { Config } from '../config/index.js';
import type { ExitCode } from '../errors.js';
import {
  type JobName,
  LIFECYCLE_LISTS,
  type LifecycleListName,
  type LifecyclePlan,
  type Plan,
  type PlanAction,
  type PlanProblem,
  type SafetyCheck,
  type SkippedUser,
} from '../plan/types.js';
import type { ApplyResult, ApplyFailure } from './apply.js';
import { type OwnerChange, ownerChanges } from './ownership.js';

export interface RunSummary {
  /** The job that ran: `import`, `purge`. */
  job: JobName;
  runId: string;
  sourceUid: string;
  now: string;
  dryRun: boolean;
  input: string;
  schools: string[];
  exitCode: ExitCode;
  durationMs: number;
  /** Actions per kind and school: planned in a dry run, done in a real one. */
  counts: Record<string, Record<string, number>>;
  totals: Record<string, number>;
  unchanged: number;
  problems: PlanProblem[];
  failures: ApplyFailure[];
  /** Post hooks that failed; their changes stand. */
  hookFailures: ApplyFailure[];
  safety: SafetyCheck | undefined;
  /** `purge.mode: move`: the `delete` actions counted here locked the users and moved them here instead. */
  deletesMovedTo?: string;
  /** The purge's due users without a purge role, left alone. */
  skipped?: SkippedUser[];
  /** A lifecycle run: per rule, how many users are on each of its lists (SPEC §7). */
  rules?: Record<string, Record<LifecycleListName, number>>;
  /** Every entry whose owner changed because its owner was removed (SPEC §8): done, or planned in a dry run. */
  ownerChanges: OwnerChange[];
}

function schoolOf(action: PlanAction): string {
  return 'school' in action && action.school ? action.school : '-';
}

export function buildSummary(args: {
  job: JobName;
  runId: string;
  config: Config;
  now: Date;
  options: { input: string; schools: string[]; dryRun: boolean };
  plan: Plan | undefined;
  result: ApplyResult | undefined;
  exitCode: ExitCode;
  started: number;
}): RunSummary {
  const { plan, result, options } = args;
  // Before apply nothing is done: a stopped run reports what was planned, a finished one what was written.
  const actions = result ? result.applied : options.dryRun ? (plan?.actions ?? []) : [];
  const counts: Record<string, Record<string, number>> = {};
  const totals: Record<string, number> = {};
  for (const action of actions) {
    const perSchool = (counts[action.kind] ??= {});
    const school = schoolOf(action);
    perSchool[school] = (perSchool[school] ?? 0) + 1;
    totals[action.kind] = (totals[action.kind] ?? 0) + 1;
  }
  return {
    job: args.job,
    runId: args.runId,
    sourceUid: args.config.source_uid,
    now: args.now.toISOString(),
    dryRun: options.dryRun,
    input: options.input,
    schools: options.schools,
    exitCode: args.exitCode,
    durationMs: Date.now() - args.started,
    counts,
    totals,
    unchanged: plan?.job === 'import' ? plan.unchanged : 0,
    problems: plan?.problems ?? [],
    failures: result?.failed ?? [],
    hookFailures: result?.hookFailures ?? [],
    safety: plan?.job === 'import' || plan?.job === 'lifecycle' ? plan.safety : undefined,
    ...movedTo(actions),
    ...(args.job === 'purge' ? { skipped: plan?.job === 'purge' ? plan.skipped : [] } : {}),
    ...(plan?.job === 'lifecycle' ? { rules: ruleCounts(plan) } : {}),
    ownerChanges: ownerChanges(actions),
  };
}

function ruleCounts(plan: LifecyclePlan): Record<string, Record<LifecycleListName, number>> {
  return Object.fromEntries(
    plan.rules.map((rule) => [
      rule.rule,
      Object.fromEntries(LIFECYCLE_LISTS.map((list) => [list, rule.lists[list].length])) as Record<
        LifecycleListName,
        number
      >,
    ]),
  );
}

function movedTo(actions: readonly PlanAction[]): { deletesMovedTo?: string } {
  for (const action of actions) {
    if (action.kind === 'delete' && action.mode === 'move' && action.moveTo !== undefined)
      return { deletesMovedTo: action.moveTo };
  }
  return {};
}

export function summaryLine(summary: RunSummary): string {
  const done = Object.entries(summary.totals)
    .map(([kind, count]) =>
      kind === 'delete' && summary.deletesMovedTo !== undefined
        ? `${count} locked and moved to ${summary.deletesMovedTo}`
        : `${count} ${kind}`,
    )
    .join(', ');
  const verb = summary.dryRun ? 'planned' : 'done';
  const parts = [`${summary.job} ${verb}: ${done || 'no changes'}`, `${summary.unchanged} unchanged`];
  if (summary.problems.length > 0) parts.push(`${summary.problems.length} problems`);
  if (summary.failures.length > 0) parts.push(`${summary.failures.length} failed`);
  if (summary.skipped !== undefined && summary.skipped.length > 0)
    parts.push(`${summary.skipped.length} skipped`);
  return parts.join('; ');
}
