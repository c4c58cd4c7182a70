/**
 * Import and purge as jobs: integrators' code loaded (`classes.user_import`, `hooks`), the run lock taken,
 * the outcome recorded for `rostersync status` and the metrics file. The CLI commands and the daemon both
 * start runs only through these two functions.
 */
import type { RunContext } from '../apply/run-context.js';
import { loadExtensions } from '../hooks/index.js';
import { type ImportOptions, type ImportOutcome, runImport } from '../import/run-import.js';
import { type PurgeOptions, type PurgeOutcome, runPurge } from '../purge/run-purge.js';
import { runJob } from './run-job.js';

/** A run's context before integrators' code is loaded: that is what these jobs add. */
export type JobRuntime = Omit<RunContext, 'userImport' | 'hooks' | 'dryRunHooks'>;

async function withExtensions(runtime: JobRuntime) {
  const { userImport, hooks } = await loadExtensions(runtime.config, runtime.logger);
  const dryRunHooks = hooks.forDryRun();
  return {
    ...runtime,
    userImport,
    ...(hooks.size > 0 ? { hooks } : {}),
    ...(dryRunHooks.size > 0 ? { dryRunHooks } : {}),
  };
}

export async function importJob(runtime: JobRuntime, options: ImportOptions): Promise<ImportOutcome> {
  const extended = await withExtensions(runtime);
  return runJob(
    {
      config: runtime.config,
      job: 'import',
      logger: runtime.logger,
      dryRun: options.dryRun,
      runId: runtime.runId,
    },
    async () => {
      const outcome = await runImport(extended, options);
      return { ...outcome, counts: outcome.summary.totals };
    },
  );
}

export async function purgeJob(runtime: JobRuntime, options: PurgeOptions): Promise<PurgeOutcome> {
  const extended = await withExtensions(runtime);
  return runJob(
    {
      config: runtime.config,
      job: 'purge',
      logger: runtime.logger,
      dryRun: options.dryRun,
      runId: runtime.runId,
    },
    async () => {
      const outcome = await runPurge(extended, options);
      return { ...outcome, counts: outcome.summary.totals };
    },
  );
}
