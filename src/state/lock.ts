/**
 * One run at a time per directory and source (SPEC §5, §9): a lock file under `<state_dir>/locks/` that
 * names the process holding it. A second import or purge finds it and stops with exit 4; a lock left by a
 * process that died (crash, kill -9, reboot) is noticed and taken over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { ExitCode, RostersyncError } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { createExclusive, errorCode, writeTempBeside } from './atomic.js';
import {
  currentBootId,
  fromEarlierBoot,
  holderStamp,
  parseHolderStamp,
  pidIsAlive,
  stampIsStale,
} from './holder.js';

export { pidIsAlive } from './holder.js';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  /** ISO-8601 UTC, whole seconds. */
  startedAt: string;
  job: string;
  host: string;
  /** The run holding the lock: the id in its log and audit lines and in `rostersync status`. */
  runId?: string;
  /** The boot it was taken in (Linux): a lock from before a reboot is stale whatever the clocks say. */
  bootId?: string;
}

/** How a refusal describes the lock that was busy, when it is not the source's lock file. */
export interface LockedDetails {
  /** What part of the source the lock is for, e.g. `school gym1`. */
  part?: string;
  /** Name the holder's host even when it is this one: a lease is shared by every host. */
  nameHost?: boolean;
}

/** Another live process holds the lock for this directory and source (or school of it). */
export class LockedError extends RostersyncError {
  constructor(
    readonly sourceUid: string,
    readonly holder: LockInfo | undefined,
    /** The lock file, or the lease entry's DN. */
    readonly lockFile: string,
    details: LockedDetails = {},
  ) {
    super(lockedMessage(sourceUid, holder, details), ExitCode.locked);
  }
}

function lockedMessage(sourceUid: string, holder: LockInfo | undefined, details: LockedDetails): string {
  const host =
    holder && (details.nameHost === true || holder.host !== hostname()) ? ` on host ${holder.host}` : '';
  const who = holder
    ? `pid ${holder.pid}${host}, ${holder.job}, started ${holder.startedAt}`
    : 'holder unknown';
  const part = details.part === undefined ? '' : `, ${details.part}`;
  return `another run holds the lock for source ${sourceUid}${part} (${who}); exit ${ExitCode.locked}`;
}

/**
 * The lock file for a config: the source uid (readable in `ls`) plus a short hash of directory URL, base DN
 * and source, so two sources, or one source synced into two directories, never block each other. With
 * `schools` (a run with `--school` whose partition the directory's lease guards), one of that partition.
 */
export function lockFilePath(config: Config, schools: readonly string[] = []): string {
  return join(config.state_dir, 'locks', `${partitionFileName(config, schools)}.lock`);
}

/** The name (without suffix) of a file in `state_dir` that belongs to one source and partition. */
export function partitionFileName(config: Config, schools: readonly string[]): string {
  const partition = partitionKey(schools);
  const hash = createHash('sha256')
    .update([config.ldap.url, config.ldap.base_dn, config.source_uid, ...partition].join('\0'))
    .digest('hex')
    .slice(0, 12);
  const plain = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');
  const readable = [plain(config.source_uid), ...partition.map(plain)].join('+').slice(0, 64);
  return `${readable}-${hash}`;
}

/** School ids compare case-insensitively: one spelling, once each, in one order. */
/** The schools of a partition, each once, lower-cased and sorted: one name for its lock and its status. */
export function partitionKey(schools: readonly string[]): string[] {
  return [...new Set(schools.map((school) => school.toLowerCase()))].sort();
}

/**
 * The lock contents this process holds or is taking right now, to tell our own live lock from one left by
 * an earlier process that had our pid (a restarted container often gets the same pid).
 */
const ownContents = new Set<string>();

/** How long acquire keeps re-examining a lock that changes under its feet (others taking over) before giving up. */
const TAKEOVER_WAIT_MS = 5_000;
/** A takeover takes milliseconds; a guard file older than this was left by a crash. */
const GUARD_STALE_MS = 10_000;

export class RunLock {
  private released = false;

  private constructor(
    readonly path: string,
    readonly info: LockInfo,
    private readonly content: string,
  ) {}

  /**
   * Takes the lock for the config's directory and source (with `schools`: for that partition only), or
   * throws `LockedError` (exit 4).
   */
  static async acquire(
    config: Config,
    job: string,
    logger: Logger,
    runId?: string,
    schools: readonly string[] = [],
  ): Promise<RunLock> {
    const path = lockFilePath(config, schools);
    await mkdir(join(config.state_dir, 'locks'), { recursive: true, mode: 0o700 });
    const bootId = currentBootId();
    const info: LockInfo = {
      pid: process.pid,
      startedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      job,
      host: hostname(),
      ...(runId !== undefined ? { runId } : {}),
      ...(bootId !== undefined ? { bootId } : {}),
    };
    // The token tells two acquires of this process in the same second apart.
    const content = `${JSON.stringify({ ...info, token: randomBytes(6).toString('hex') })}\n`;
    ownContents.add(content);
    try {
      return await RunLock.take(config, path, info, content, logger);
    } catch (error) {
      ownContents.delete(content);
      throw error;
    }
  }

  private static async take(
    config: Config,
    path: string,
    info: LockInfo,
    content: string,
    logger: Logger,
  ): Promise<RunLock> {
    const deadline = performance.now() + TAKEOVER_WAIT_MS;
    while (performance.now() < deadline) {
      if (await createExclusive(path, content, 0o600)) return new RunLock(path, info, content);

      const raw = await readRaw(path);
      if (raw === undefined) continue; // released between our create and our read: try again
      const holder = parseLockInfo(raw);
      if (holder && holderIsAlive(raw, holder)) throw new LockedError(config.source_uid, holder, path);

      // Stale. Judging and replacing must be one step, or two runs could each replace it and both go on:
      // a short-lived guard file makes the takers-over go one at a time.
      const guard = `${path}.takeover`;
      const guardContent = JSON.stringify(holderStamp());
      if (!(await createExclusive(guard, guardContent, 0o600))) {
        await removeIfStale(guard, GUARD_STALE_MS);
        await sleep(10 + Math.random() * 20);
        continue;
      }
      try {
        // Replace only what we judged stale: if it changed meanwhile, look again.
        if ((await readRaw(path)) !== raw) continue;
        logger.warn(`taking over the stale lock of pid ${holder ? String(holder.pid) : 'unknown'}`, {
          lockFile: path,
          staleLock: holder ?? raw.slice(0, 200),
        });
        const temp = await writeTempBeside(path, content, 0o600);
        try {
          await rename(temp, path);
        } finally {
          await rm(temp, { force: true });
        }
      } finally {
        await rm(guard, { force: true });
      }
      // Belt and braces: the lock must now be ours.
      const now = await readRaw(path);
      if (now === content) return new RunLock(path, info, content);
      throw new LockedError(config.source_uid, parseLockInfo(now ?? ''), path);
    }
    throw new LockedError(config.source_uid, parseLockInfo((await readRaw(path)) ?? ''), path);
  }

  /** Removes the lock file, but only while it is still ours. Safe to call more than once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if ((await readRaw(this.path)) === this.content) await rm(this.path, { force: true });
    } finally {
      ownContents.delete(this.content);
    }
  }
}

/** Removes a takeover guard left by a crash: its process is gone, or it has been there far too long. */
async function removeIfStale(path: string, maxAgeMs: number): Promise<void> {
  const raw = await readRaw(path);
  if (raw === undefined) return;
  const stamp = parseHolderStamp(raw);
  if (stamp === undefined || stampIsStale(stamp, maxAgeMs)) {
    // Remove only what was judged: a guard that another run has made meanwhile stays.
    if ((await readRaw(path)) === raw) await rm(path, { force: true });
  }
}

async function readRaw(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The lock's content, or undefined when it is not a lock this program wrote (empty, garbage, truncated). */
export function parseLockInfo(raw: string): LockInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { pid, startedAt, job, host, runId, bootId } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    startedAt: typeof startedAt === 'string' ? startedAt : 'unknown',
    job: typeof job === 'string' ? job : 'unknown',
    host: typeof host === 'string' ? host : 'unknown',
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof bootId === 'string' ? { bootId } : {}),
  };
}

/**
 * Whether the run `runId` holds a lock file of the config's state_dir right now (its process is alive and
 * the lock names it): the source's, or a partition's.
 */
export async function lockHeldBy(config: Config, runId: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(join(config.state_dir, 'locks'));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  for (const name of names.filter((file) => file.endsWith('.lock'))) {
    const raw = await readRaw(join(config.state_dir, 'locks', name));
    if (raw === undefined) continue;
    const holder = parseLockInfo(raw);
    if (holder?.runId === runId) return holderIsAlive(raw, holder);
  }
  return false;
}

function holderIsAlive(raw: string, holder: LockInfo): boolean {
  // Our own pid: alive only if this very process holds or is taking it.
  if (holder.pid === process.pid) return ownContents.has(raw);
  // Taken before the machine last booted: whatever now runs under that pid is someone else.
  if (holder.bootId !== undefined && currentBootId() !== undefined) {
    return !fromEarlierBoot(holder.bootId) && pidIsAlive(holder.pid);
  }
  // Without boot ids, the start time against the boot time (both wall clock, so a stepped clock can mislead).
  const started = Date.parse(holder.startedAt);
  const bootedAt = Date.now() - uptime() * 1000;
  if (Number.isFinite(started) && started < bootedAt - 60_000) return false;
  return pidIsAlive(holder.pid);
}
