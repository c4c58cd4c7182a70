/**
 * The runs of each job, kept in `<state_dir>/status.json` for `rostersync status` and, when
 * `output.metrics_file` is set, mirrored into a Prometheus textfile. Both files are replaced atomically
 * (temp file + rename), so a crash never leaves a half-written one.
 *
 * status.json maps source uid → job → the job's status: the fields of its last finished run, the run in
 * progress (`running`, written when a run starts, so a run killed before it could record a result still
 * shows), and the count of runs refused because another run held the lock (`refused`: a refusal is not
 * a run of the job and never replaces its last run). Several sources may share one state_dir. Runs for
 * some schools only (`--school`) have a slot per partition (`import --school a,b`): partitions run side by
 * side, and one's failure must not be hidden by another's success.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { RostersyncError } from '../errors.js';
import { createExclusive, errorCode, writeFileAtomic } from './atomic.js';
import { holderStamp, parseHolderStamp, stampIsStale } from './holder.js';
import { lockHeldBy, partitionKey } from './lock.js';
import { renderMetrics } from './metrics.js';
import type { JobRecord, JobSlot, JobStatus, RunStart } from './records.js';

export type { JobRecord, JobResult, JobSlot, JobStatus, RefusedRuns, RunStart } from './records.js';

const jobRecordSchema = z.object({
  job: z.string(),
  sourceUid: z.string(),
  schools: z.array(z.string()).optional(),
  runId: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  exitCode: z.number().int(),
  result: z.enum(['ok', 'failed', 'safety-limit', 'locked', 'error']),
  counts: z.record(z.string(), z.number()),
  message: z.string().optional(),
});

const slotSchema = z.object({
  job: z.string(),
  schools: z.array(z.string()).optional(),
});

const runStartSchema = z.object({
  runId: z.string(),
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
});

const refusedSchema = z.object({
  count: z.number().int().nonnegative(),
  lastAt: z.string(),
  message: z.string(),
});

type StatusFile = Record<string, Record<string, JobStatus>>;

/** status.json is private to the service; the metrics file must be readable by node_exporter. */
const STATUS_MODE = 0o600;
const METRICS_MODE = 0o644;

/** A slot's key in status.json: `import`, or `import --school a,b` for a partition. */
export function statusKey(slot: JobSlot): string {
  const schools = partitionKey(slot.schools ?? []);
  return schools.length === 0 ? slot.job : `${slot.job} --school ${schools.join(',')}`;
}

export function statusFilePath(config: Config): string {
  return join(config.state_dir, 'status.json');
}

/** Each job's status for the config's source, keyed by job; empty when nothing is recorded. */
export async function readStatus(config: Config): Promise<Record<string, JobStatus>> {
  const all = await readStatusFile(statusFilePath(config), { strict: true });
  return all[config.source_uid] ?? {};
}

/**
 * Whether a run recorded as started is still going: it holds the lock. Otherwise it ended without
 * recording a result (killed, crashed, the machine went down).
 */
export function runIsAlive(config: Config, start: RunStart): Promise<boolean> {
  return lockHeldBy(config, start.runId);
}

/**
 * Stores `record` as the last run of its job (for the config's source), then rewrites the metrics file,
 * if configured, from every record in status.json. The job's run in progress is cleared if it is this run.
 */
export async function recordRun(config: Config, record: JobRecord): Promise<void> {
  await updateJob(config, record, (current) => {
    const { running, refused } = current;
    return {
      ...record,
      ...(running && running.runId !== record.runId ? { running } : {}),
      ...(refused ? { refused } : {}),
    };
  });
  await appendRunHistory(config, record);
}

/** How many finished runs `runs.json` keeps per source. */
export const RUN_HISTORY_LENGTH = 200;

export function runHistoryFilePath(config: Config): string {
  return join(config.state_dir, 'runs.json');
}

/** The source's last finished runs, newest first (the console's history): `<state_dir>/runs.json`. */
export async function readRunHistory(config: Config): Promise<JobRecord[]> {
  return (await readRunHistoryFile(runHistoryFilePath(config)))[config.source_uid] ?? [];
}

async function appendRunHistory(config: Config, record: JobRecord): Promise<void> {
  const path = runHistoryFilePath(config);
  await withFileMutex(`${path}.lock`, async () => {
    const all = await readRunHistoryFile(path);
    const runs = [record, ...(all[config.source_uid] ?? [])].slice(0, RUN_HISTORY_LENGTH);
    await writeFileAtomic(path, `${JSON.stringify({ ...all, [config.source_uid]: runs })}\n`, STATUS_MODE);
  });
}

/** Sources → runs; what does not parse is dropped: the history is only for reading. */
async function readRunHistoryFile(path: string): Promise<Record<string, JobRecord[]>> {
  const text = await readTextIfExists(path);
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, JobRecord[]> = {};
  for (const [source, runs] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(runs)) continue;
    out[source] = runs.flatMap((run) => {
      const parsed = jobRecordSchema.safeParse(run);
      return parsed.success ? [withoutUndefined(parsed.data)] : [];
    });
  }
  return out;
}

/**
 * Notes that a run of `job` has started; its last finished run stays as it is. Returns the run recorded
 * as started before, if any: this run holds the lock, so that one ended without recording a result.
 */
export async function recordStart(
  config: Config,
  slot: JobSlot,
  start: RunStart,
): Promise<RunStart | undefined> {
  let previous: RunStart | undefined;
  await updateJob(config, slot, (current) => {
    previous = current.running;
    return { ...current, running: { ...start } };
  });
  return previous;
}

/** Counts a run of `job` refused because another run held the lock (exit 4). */
export async function recordRefused(
  config: Config,
  slot: JobSlot,
  at: string,
  message: string,
): Promise<void> {
  await updateJob(config, slot, (current) => ({
    ...current,
    refused: { count: (current.refused?.count ?? 0) + 1, lastAt: at, message },
  }));
}

async function updateJob(
  config: Config,
  slot: JobSlot,
  update: (current: JobStatus) => JobStatus,
): Promise<void> {
  const key = statusKey(slot);
  const schools = partitionKey(slot.schools ?? []);
  const empty: JobStatus = {
    job: slot.job,
    sourceUid: config.source_uid,
    ...(schools.length > 0 ? { schools } : {}),
  };
  const path = statusFilePath(config);
  await mkdir(config.state_dir, { recursive: true, mode: 0o700 });
  const all = await withFileMutex(`${path}.lock`, async () => {
    // A damaged status file is only lost history: start afresh rather than never record again.
    const current = await readStatusFile(path, { strict: false });
    const jobs = current[config.source_uid] ?? {};
    const next: StatusFile = {
      ...current,
      [config.source_uid]: {
        ...jobs,
        [key]: update(jobs[key] ?? empty),
      },
    };
    await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, STATUS_MODE);
    return next;
  });

  const metricsFile = config.output.metrics_file;
  if (metricsFile !== undefined) {
    await mkdir(dirname(metricsFile), { recursive: true });
    const statuses = Object.values(all).flatMap((jobs) => Object.values(jobs));
    await writeFileAtomic(metricsFile, renderMetrics(statuses), METRICS_MODE);
  }
}

async function readStatusFile(path: string, options: { strict: boolean }): Promise<StatusFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return {};
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    if (!options.strict) return {};
    throw new RostersyncError(`${path}: not valid JSON; remove it and the next run starts a new one`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    if (!options.strict) return {};
    throw new RostersyncError(`${path}: expected an object of sources`);
  }
  // Keep every part that still has the right shape; a hand-edited stray one is dropped, not fatal.
  const out: StatusFile = {};
  for (const [source, jobs] of Object.entries(raw as Record<string, unknown>)) {
    if (!jobs || typeof jobs !== 'object' || Array.isArray(jobs)) continue;
    const kept: Record<string, JobStatus> = {};
    for (const [job, value] of Object.entries(jobs as Record<string, unknown>)) {
      const status = parseJobStatus(job, source, value);
      if (status) kept[job] = status;
    }
    out[source] = kept;
  }
  return out;
}

function parseJobStatus(key: string, sourceUid: string, value: unknown): JobStatus | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const last = jobRecordSchema.safeParse(value);
  const running = runStartSchema.safeParse(fields.running);
  const refused = refusedSchema.safeParse(fields.refused);
  if (!last.success && !running.success && !refused.success) return undefined;
  // A slot without a finished run yet: its job and partition as written, else its key (files of old).
  const slot = slotSchema.safeParse(value);
  const unfinished: JobStatus = slot.success
    ? {
        job: slot.data.job,
        sourceUid,
        ...(slot.data.schools !== undefined ? { schools: slot.data.schools } : {}),
      }
    : { job: key, sourceUid };
  return {
    ...(last.success ? withoutUndefined(last.data) : unfinished),
    ...(running.success ? { running: running.data } : {}),
    ...(refused.success ? { refused: refused.data } : {}),
  };
}

function withoutUndefined(record: z.output<typeof jobRecordSchema>): JobRecord {
  const { message, runId, schools, ...rest } = record;
  return {
    ...rest,
    ...(schools !== undefined ? { schools } : {}),
    ...(runId !== undefined ? { runId } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

const MUTEX_WAIT_MS = 10_000;
/** The mutex is held for milliseconds; one held this long belongs to a hung or vanished process. */
const MUTEX_STALE_MS = 60_000;
/** A mutex file without a readable stamp (hand-made, or cut short on a filesystem without hard links). */
const UNREADABLE_STALE_MS = 1_000;

/**
 * A short cross-process mutex around the read-modify-write of status.json: runs of different sources
 * hold different run locks but share the file. The file names its holder (pid, boot, uptime); one left
 * by a dead process, an earlier boot, or held longer than a minute is removed.
 */
async function withFileMutex<T>(path: string, body: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + MUTEX_WAIT_MS;
  let unreadableSince: number | undefined;
  for (;;) {
    if (await createExclusive(path, JSON.stringify(holderStamp()), 0o600)) break;
    const raw = await readTextIfExists(path);
    if (raw === undefined) continue; // released meanwhile
    const stamp = parseHolderStamp(raw);
    unreadableSince = stamp === undefined ? (unreadableSince ?? performance.now()) : undefined;
    const stale =
      stamp === undefined
        ? performance.now() - (unreadableSince ?? 0) > UNREADABLE_STALE_MS
        : stampIsStale(stamp, MUTEX_STALE_MS);
    // Remove only what was judged: a mutex another run has taken meanwhile stays.
    if (stale && (await readTextIfExists(path)) === raw) {
      await rm(path, { force: true });
      continue;
    }
    if (performance.now() > deadline) {
      throw new RostersyncError(`${path}: still held by another run after 10 s`);
    }
    await sleep(25);
  }
  try {
    return await body();
  } finally {
    await rm(path, { force: true });
  }
}

async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
