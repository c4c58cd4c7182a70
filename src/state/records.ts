/** What status.json keeps of each job's runs; the status file and the metrics are written from it. */

/** `locked` is only found in files written before refusals were counted apart. */
export type JobResult = 'ok' | 'failed' | 'safety-limit' | 'locked' | 'error';

/** A run that ended with a result. */
export interface JobRecord {
  job: string;
  sourceUid: string;
  /**
   * A run for some schools only (`--school`, its partition): each partition's runs are kept apart from the
   * whole source's and from each other's, as they may run side by side. Lower-cased, sorted.
   */
  schools?: string[];
  /** The run's id, as in its log and audit lines. */
  runId?: string;
  /** ISO-8601. */
  startedAt: string;
  /** ISO-8601. */
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  result: JobResult;
  /** Actions by kind, e.g. `{ create: 3, update: 1 }`. */
  counts: Record<string, number>;
  message?: string;
}

/** A run that has started and not recorded a result yet. */
export interface RunStart {
  runId: string;
  pid: number;
  host: string;
  /** ISO-8601. */
  startedAt: string;
}

/** Runs refused with exit 4 because another run held the lock. */
export interface RefusedRuns {
  count: number;
  /** ISO-8601. */
  lastAt: string;
  message: string;
}

/** Where a job's runs are kept: the job, and for a run of some schools only, its partition. */
export interface JobSlot {
  job: string;
  /** Empty or absent: the whole source. */
  schools?: readonly string[];
}

/**
 * What status.json keeps for one job (or one partition of it): the fields of its last finished run (absent before the first
 * one), the run that started after it and has not finished, and the refused runs.
 */
export interface JobStatus extends Partial<Omit<JobRecord, 'job' | 'sourceUid' | 'schools'>> {
  job: string;
  sourceUid: string;
  schools?: string[];
  running?: RunStart;
  refused?: RefusedRuns;
}
