/**
 * The frame every import and purge run goes through, from the CLI and from the daemon: take the run lock
 * for the directory and source, run the job, record how it went (status.json, metrics), release the lock.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.js';
import { ExitCode, exitCodeOf } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { LockedError, RunLock } from '../state/lock.js';
import { type JobRecord, type JobResult, recordRun } from '../state/status.js';

export interface RunJobOptions {
  config: Config;
  /** `import`, `purge`, … — the key in status.json and the `job` label of the metrics. */
  job: string;
  logger: Logger;
  /** Dry runs write nothing: they take no lock and leave no record. */
  dryRun: boolean;
  /**
   * The wall clock for the recorded start and finish times (tests pin it). Not `--now`: the record says
   * when the run really happened. Durations always come from the monotonic clock.
   */
  now?: () => Date;
}

export interface JobOutcome {
  exitCode: ExitCode;
  counts: Record<string, number>;
}

/** The result recorded for an exit code. */
export function resultOf(exitCode: number): JobResult {
  if (exitCode === ExitCode.ok) return 'ok';
  if (exitCode === ExitCode.safetyLimit) return 'safety-limit';
  if (exitCode === ExitCode.locked) return 'locked';
  return 'failed';
}

/**
 * Runs `body` under the run lock and records its outcome. A `LockedError` (another run holds the lock,
 * exit 4) is recorded as `locked` and rethrown without running `body`; an error thrown by `body` is
 * recorded as `error` and rethrown. Failing to write the record is logged and does not change the run's
 * outcome.
 */
export async function runJob<T extends JobOutcome>(
  options: RunJobOptions,
  body: () => Promise<T>,
): Promise<T> {
  const { config, job, logger, dryRun } = options;
  if (dryRun) return body();

  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  const startedTick = performance.now();

  const record = async (outcome: Pick<JobRecord, 'exitCode' | 'result' | 'counts' | 'message'>) => {
    const finishedAt = clock();
    const entry: JobRecord = {
      job,
      sourceUid: config.source_uid,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(performance.now() - startedTick),
      exitCode: outcome.exitCode,
      result: outcome.result,
      counts: outcome.counts,
      ...(outcome.message !== undefined ? { message: outcome.message } : {}),
    };
    try {
      await recordRun(config, entry);
    } catch (error) {
      logger.error(`could not record the ${job} run in ${config.state_dir}`, { error });
    }
  };

  let lock: RunLock;
  try {
    lock = await RunLock.acquire(config, job, logger);
  } catch (error) {
    if (error instanceof LockedError) {
      await record({ exitCode: ExitCode.locked, result: 'locked', counts: {}, message: error.message });
    }
    throw error;
  }

  try {
    let outcome: T;
    try {
      outcome = await body();
    } catch (error) {
      await record({
        exitCode: exitCodeOf(error),
        result: 'error',
        counts: {},
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    await record({ exitCode: outcome.exitCode, result: resultOf(outcome.exitCode), counts: outcome.counts });
    return outcome;
  } finally {
    await lock.release();
  }
}
