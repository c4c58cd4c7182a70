/**
 * The jobs (import, purge, lifecycle, keep, restore): integrators' code loaded (`classes.user_import`, `hooks`), the run lock taken,
 * the outcome recorded for `rostersync status` and the metrics file. The CLI commands and the daemon both
 * start runs only through these two functions.
 */
import type { RunContext } from '../apply/run-context.js';
import { loadExtensions } from '../hooks/index.js';
import { type ImportOptions, type ImportOutcome, runImport } from '../import/run-import.js';
import { type PurgeOptions, type PurgeOutcome, runPurge } from '../purge/run-purge.js';
import type { ExitCode } from '../errors.js';
import type { JobName, Plan } from '../plan/types.js';
import { applyHeldPlan, type HeldApplyOptions, type HeldApplyOutcome } from '../held/apply-held.js';
import { type HeldRunLock, takeRunLock } from '../lease/index.js';
import { runJob } from './run-job.js';
import type { RetirementSetPlan, RetirementStatesPlan } from '../plan/types.js';
import type { PlannedRunOptions, RunOutcome } from '../run/planned-run.js';
import { runPopulateStates } from '../retirement/run-populate.js';
import { type RetirementSetOptions, runRetirementSet } from '../retirement/run-set.js';
import { type KeepOptions, type KeepOutcome, runKeep } from '../lifecycle/run-keep.js';
import { type LifecycleOptions, type LifecycleOutcome, runLifecycle } from '../lifecycle/run-lifecycle.js';
import { type RestoreOptions, type RestoreOutcome, runRestore } from '../restore/run-restore.js';

/** A run's context before integrators' code is loaded: that is what these jobs add. */
export type JobRuntime = Omit<RunContext, 'userImport' | 'hooks' | 'dryRunHooks'>;

async function withExtensions(runtime: JobRuntime) {
  const { userImport, hooks } = await loadExtensions(runtime.config, runtime.logger);
  const dryRunHooks = hooks.forDryRun();
  const retirementSteps = hooks.retirementSteps();
  return {
    ...runtime,
    userImport,
    ...(retirementSteps.size > 0 ? { retirementSteps } : {}),
    ...(hooks.size > 0 ? { hooks } : {}),
    ...(dryRunHooks.size > 0 ? { dryRunHooks } : {}),
  };
}

/** The run's stop signal: SIGTERM, or its run lock lost — either stops it between users. */
function stopSignal(runtime: JobRuntime, lock: HeldRunLock): AbortSignal | undefined {
  const signals = [runtime.signal, lock.signal].filter((signal) => signal !== undefined);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

/**
 * A job under the run lock (`schools`: of those schools of the source only, as `--school` says), with
 * integrators' code loaded, recorded for `status` and the metrics. Every write checks that the lock is
 * still the run's.
 */
async function lockedJob<O extends { exitCode: ExitCode; summary: { totals: Record<string, number> } }>(
  job: JobName | 'apply',
  runtime: JobRuntime,
  dryRun: boolean,
  body: (runtime: RunContext) => Promise<O>,
  schools: readonly string[] = [],
): Promise<O> {
  const extended = await withExtensions(runtime);
  const { config, logger, runId, env } = runtime;
  const lock = (id: string) => takeRunLock({ config, env, job, schools, logger, runId: id });
  return runJob({ config, job, schools, logger, dryRun, runId, lock }, async (held) => {
    const signal = stopSignal(runtime, held);
    const outcome = await body({
      ...extended,
      writeGuard: () => held.guard(),
      ...(signal ? { signal } : {}),
    });
    return { ...outcome, counts: outcome.summary.totals };
  });
}

export function importJob(runtime: JobRuntime, options: ImportOptions): Promise<ImportOutcome> {
  return lockedJob(
    'import',
    runtime,
    options.dryRun,
    (extended) => runImport(extended, options),
    options.schools,
  );
}

export function keepJob(runtime: JobRuntime, options: KeepOptions): Promise<KeepOutcome> {
  return lockedJob('keep', runtime, options.dryRun, (extended) => runKeep(extended, options));
}

export function lifecycleJob(runtime: JobRuntime, options: LifecycleOptions): Promise<LifecycleOutcome> {
  return lockedJob('lifecycle', runtime, options.dryRun, (extended) => runLifecycle(extended, options));
}

export function retirementSetJob(
  runtime: JobRuntime,
  options: RetirementSetOptions,
): Promise<RunOutcome<RetirementSetPlan>> {
  return lockedJob('retirement-set', runtime, options.dryRun, (extended) =>
    runRetirementSet(extended, options),
  );
}

export function populateStatesJob(
  runtime: JobRuntime,
  options: PlannedRunOptions,
): Promise<RunOutcome<RetirementStatesPlan>> {
  return lockedJob('retirement-states', runtime, options.dryRun, (extended) =>
    runPopulateStates(extended, options),
  );
}

export function purgeJob(runtime: JobRuntime, options: PurgeOptions): Promise<PurgeOutcome> {
  return lockedJob('purge', runtime, options.dryRun, (extended) => runPurge(extended, options));
}

/** `rostersync apply` (SPEC §11): a held plan, never a dry run. */
export function applyJob(
  runtime: JobRuntime,
  plan: Plan,
  options: HeldApplyOptions,
): Promise<HeldApplyOutcome> {
  // A plan made with --school applies under the lock of those schools, as its import would have.
  const schools = plan.job === 'import' ? plan.schools : [];
  return lockedJob('apply', runtime, false, (extended) => applyHeldPlan(extended, plan, options), schools);
}

export function restoreJob(runtime: JobRuntime, options: RestoreOptions): Promise<RestoreOutcome> {
  return lockedJob('restore', runtime, options.dryRun, (extended) => runRestore(extended, options));
}
