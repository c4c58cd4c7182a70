/**
 * The frame every import and purge run goes through, from the CLI and from the daemon: take the run lock
 * for the directory and source, note the run as started, run the job, record how it went (status.json,
 * metrics), release the lock.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.js';
import { ExitCode, exitCodeOf } from '../errors.js';
import { fileRunLock, type HeldRunLock, NO_LOCK } from '../lease/index.js';
import { type Logger, newRunId } from '../logging/index.js';
import { LockedError, lockHeldBy, partitionKey } from '../state/lock.js';
import { type JobRecord, type JobResult, recordRefused, recordRun, recordStart } from '../state/status.js';

export interface RunJobOptions {
  config: Config;
  /** `import`, `purge`, … — the key in status.json and the `job` label of the metrics. */
  job: string;
  /** A run for these schools only (`--school`): recorded in its partition's slot. */
  schools?: readonly string[];
  logger: Logger;
  /** Dry runs write nothing: they take no lock and leave no record. */
  dryRun: boolean;
  /** The run's id (in its log and audit lines); a new one when not given. */
  runId?: string;
  /**
   * The wall clock for the recorded start and finish times (tests pin it). Not `--now`: the record says
   * when the run really happened. Durations always come from the monotonic clock.
   */
  now?: () => Date;
  /** Takes the run lock for the run with this id (default: the source's lock file, this host only). */
  lock?: (runId: string) => Promise<HeldRunLock>;
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
 * Runs `body` under the run lock and records it: as running when it starts (so a run killed before it
 * could record a result shows as such), then its outcome. A `LockedError` (another run holds the lock,
 * exit 4) is counted as a refused run, leaving the job's last run as it was, and rethrown without
 * running `body`; an error thrown by `body` is recorded as `error` and rethrown. Failing to write the
 * record is logged and does not change the run's outcome.
 */
export async function runJob<T extends JobOutcome>(
  options: RunJobOptions,
  body: (lock: HeldRunLock) => Promise<T>,
): Promise<T> {
  const { config, job, logger, dryRun } = options;
  if (dryRun) return body(NO_LOCK);
  const slot = { job, schools: options.schools ?? [] };
  const partition = partitionKey(slot.schools);

  const clock = options.now ?? (() => new Date());
  const runId = options.runId ?? newRunId();
  const startedAt = clock();
  const startedTick = performance.now();

  const safely = async (what: string, write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      logger.error(`could not record ${what} in ${config.state_dir}`, { error });
    }
  };

  const record = async (outcome: Pick<JobRecord, 'exitCode' | 'result' | 'counts' | 'message'>) => {
    const finishedAt = clock();
    const entry: JobRecord = {
      job,
      sourceUid: config.source_uid,
      ...(partition.length > 0 ? { schools: partition } : {}),
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(performance.now() - startedTick),
      exitCode: outcome.exitCode,
      result: outcome.result,
      counts: outcome.counts,
      ...(outcome.message !== undefined ? { message: outcome.message } : {}),
    };
    await safely(`the ${job} run`, () => recordRun(config, entry));
  };

  const take = options.lock ?? ((id: string) => fileRunLock({ config, job, logger, runId: id }));
  let lock: HeldRunLock;
  try {
    lock = await take(runId);
  } catch (error) {
    if (error instanceof LockedError) {
      // Not a run of this job: its last run, and the state of the run holding the lock, stay as they are.
      const refusedAt = clock().toISOString();
      await safely(`the refused ${job} run`, () => recordRefused(config, slot, refusedAt, error.message));
    }
    throw error;
  }

  try {
    await safely(`the start of the ${job} run`, async () => {
      const died = await recordStart(config, slot, {
        runId,
        pid: process.pid,
        host: hostname(),
        startedAt: startedAt.toISOString(),
      });
      // Runs for other schools of the source may be going on beside this one: only a run that holds no lock died.
      if (died && died.runId !== runId && !(await lockHeldBy(config, died.runId))) {
        logger.warn(
          `the previous ${job} run ${died.runId} (pid ${died.pid}, started ${died.startedAt}) ended without a result`,
          { diedRun: died },
        );
      }
    });
    let outcome: T;
    try {
      outcome = await body(lock);
    } catch (error) {
      await record({
        exitCode: exitCodeOf(error),
        result: 'error',
        counts: {},
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    // A run that lost its lock stopped before its next write (the lease logged how): it ends as a refused one.
    const lost = lock.lost();
    if (lost) outcome = { ...outcome, exitCode: ExitCode.locked };
    await record({
      exitCode: outcome.exitCode,
      result: resultOf(outcome.exitCode),
      counts: outcome.counts,
      ...(lost ? { message: lost.message } : {}),
    });
    return outcome;
  } finally {
    await lock.release();
  }
}
