/**
 * The last run of each job, kept in `<state_dir>/status.json` for `rostersync status` and, when
 * `output.metrics_file` is set, mirrored into a Prometheus textfile. Both files are replaced atomically
 * (temp file + rename), so a crash never leaves a half-written one.
 *
 * status.json maps source uid → job → record: several sources may share one state_dir, and each keeps
 * its own runs.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { RostersyncError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { pidIsAlive } from './lock.js';
import { renderMetrics } from './metrics.js';

export type JobResult = 'ok' | 'failed' | 'safety-limit' | 'locked' | 'error';

export interface JobRecord {
  job: string;
  sourceUid: string;
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

const jobRecordSchema = z.object({
  job: z.string(),
  sourceUid: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  exitCode: z.number().int(),
  result: z.enum(['ok', 'failed', 'safety-limit', 'locked', 'error']),
  counts: z.record(z.string(), z.number()),
  message: z.string().optional(),
});

type StatusFile = Record<string, Record<string, JobRecord>>;

/** status.json is private to the service; the metrics file must be readable by node_exporter. */
const STATUS_MODE = 0o600;
const METRICS_MODE = 0o644;

export function statusFilePath(config: Config): string {
  return join(config.state_dir, 'status.json');
}

/** The last run of each job of the config's source, keyed by job; empty when none is recorded. */
export async function readStatus(config: Config): Promise<Record<string, JobRecord>> {
  const all = await readStatusFile(statusFilePath(config), { strict: true });
  return all[config.source_uid] ?? {};
}

/**
 * Stores `record` as the last run of its job (for the config's source), then rewrites the metrics file,
 * if configured, from every record in status.json.
 */
export async function recordRun(config: Config, record: JobRecord): Promise<void> {
  const path = statusFilePath(config);
  await mkdir(config.state_dir, { recursive: true, mode: 0o700 });
  const all = await withFileMutex(`${path}.lock`, async () => {
    // A damaged status file is only lost history: start afresh rather than never record again.
    const current = await readStatusFile(path, { strict: false });
    const next: StatusFile = {
      ...current,
      [config.source_uid]: { ...current[config.source_uid], [record.job]: { ...record } },
    };
    await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, STATUS_MODE);
    return next;
  });

  const metricsFile = config.output.metrics_file;
  if (metricsFile !== undefined) {
    await mkdir(dirname(metricsFile), { recursive: true });
    const records = Object.values(all).flatMap((jobs) => Object.values(jobs));
    await writeFileAtomic(metricsFile, renderMetrics(records), METRICS_MODE);
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
  // Keep every record that still has the right shape; a hand-edited stray one is dropped, not fatal.
  const out: StatusFile = {};
  for (const [source, jobs] of Object.entries(raw as Record<string, unknown>)) {
    if (!jobs || typeof jobs !== 'object' || Array.isArray(jobs)) continue;
    const kept: Record<string, JobRecord> = {};
    for (const [job, value] of Object.entries(jobs as Record<string, unknown>)) {
      const parsed = jobRecordSchema.safeParse(value);
      if (parsed.success) kept[job] = withoutUndefined(parsed.data);
    }
    out[source] = kept;
  }
  return out;
}

function withoutUndefined(record: z.output<typeof jobRecordSchema>): JobRecord {
  const { message, ...rest } = record;
  return message === undefined ? rest : { ...rest, message };
}

const MUTEX_WAIT_MS = 10_000;
const MUTEX_STALE_MS = 60_000;

/**
 * A short cross-process mutex around the read-modify-write of status.json: runs of different sources
 * hold different run locks but share the file. A mutex file left by a dead process, or older than a
 * minute, is removed.
 */
async function withFileMutex<T>(path: string, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + MUTEX_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid), 'utf8');
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    if (await mutexIsStale(path)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RostersyncError(`${path}: still held by another run after 10 s`);
    await sleep(25);
  }
  try {
    return await body();
  } finally {
    await rm(path, { force: true });
  }
}

async function mutexIsStale(path: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (Date.now() - info.mtimeMs > MUTEX_STALE_MS) return true;
    const pid = Number(text);
    // Empty: just created, content not yet written.
    return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !pidIsAlive(pid);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
