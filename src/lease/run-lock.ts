/**
 * The run lock a job runs under (SPEC §5, exit 4), where `lock.store` says: a lease in the directory
 * (`ldap.lock_url`, default `ldap.url`), shared by every host; or the lock file in `state_dir`, which
 * guards this host only — the fallback of `auto` when the directory cannot hold lease entries.
 */
import { type Config, ConfigError, attributeNames } from '../config/index.js';
import { connectDirectory, type Directory } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import type { Logger } from '../logging/index.js';
import { RunLock } from '../state/lock.js';
import { CannotHoldLeaseError, DirectoryLease, type LeaseOptions } from './lease.js';

/** The lock as the run holds it. */
export interface HeldRunLock {
  /** Throws once the run may no longer write (its lease was lost, exit 4); a local check. */
  guard(): void;
  /** Aborted when the lock is lost while the run goes on; absent for a lock that cannot be lost. */
  readonly signal: AbortSignal | undefined;
  /** How the lock was lost, once it was. */
  lost(): Error | undefined;
  release(): Promise<void>;
}

/** What a dry run holds: nothing, and nothing to lose. */
export const NO_LOCK: HeldRunLock = {
  guard: () => undefined,
  signal: undefined,
  lost: () => undefined,
  release: () => Promise.resolve(),
};

export interface RunLockRequest {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** `import`, `purge`, … */
  job: string;
  /** The run's `--school`s; empty: the whole source. */
  schools: readonly string[];
  logger: Logger;
  runId: string;
}

/** The lock file of the config's source (with `schools`: of that partition) as a held run lock. */
export async function fileRunLock(
  request: Pick<RunLockRequest, 'config' | 'job' | 'logger' | 'runId'>,
  schools: readonly string[] = [],
): Promise<HeldRunLock> {
  const lock = await RunLock.acquire(request.config, request.job, request.logger, request.runId, schools);
  return { ...NO_LOCK, release: () => lock.release() };
}

/**
 * Takes the run lock where `lock.store` says, or throws `LockedError` (exit 4). `auto` falls back on the
 * source's lock file, with a warning, when the directory cannot hold lease entries (the schema lacks
 * `rostersyncLease`, or the bind DN may not add under `ou=rostersync`); `directory` makes that exit 2.
 */
/** The lease of one run, on `directory` (the server of `ldap.lock_url`), where the config says leases live. */
export function leaseOptions(
  config: Config,
  directory: Directory,
  run: Pick<LeaseOptions, 'schools' | 'job' | 'runId' | 'leaseSeconds' | 'logger'>,
): LeaseOptions {
  const layout = new DirectoryLayout(config);
  return {
    directory,
    names: attributeNames(config),
    leasesDn: layout.leasesDn,
    runStateDn: layout.runStateDn,
    sourceUid: config.source_uid,
    ...run,
  };
}

export async function takeRunLock(request: RunLockRequest): Promise<HeldRunLock> {
  const { config, env, job, schools, logger, runId } = request;
  if (config.lock.store === 'file') return fileRunLock(request);

  const url = config.ldap.lock_url ?? config.ldap.url;
  const directory = await connectDirectory(config, env, url);
  let lease: DirectoryLease;
  try {
    lease = await DirectoryLease.take(
      leaseOptions(config, directory, {
        schools,
        job,
        runId,
        leaseSeconds: config.lock.lease_seconds,
        logger,
      }),
    );
  } catch (error) {
    await directory.close();
    if (!(error instanceof CannotHoldLeaseError)) throw error;
    const where = `${url} cannot hold the run lock's lease under ${new DirectoryLayout(config).leasesDn} (${error.message})`;
    if (config.lock.store === 'directory') {
      throw new ConfigError([
        { source: 'config', path: 'lock.store', message: `is 'directory', but ${where}` },
      ]);
    }
    // Without the lease, a run for some schools must exclude every other run of the source, as before.
    logger.warn(
      `lock.store auto: ${where}; using the lock file in state_dir, which guards this host only (set lock.store: file to choose it)`,
    );
    return fileRunLock(request);
  }

  // The lock file too, for this host's `rostersync status` (a run in progress holds it); a run of the whole
  // source takes the file older versions take. One per partition: the leases keep partitions apart.
  let file: RunLock;
  try {
    file = await RunLock.acquire(config, job, logger, runId, schools);
  } catch (error) {
    await lease.release();
    await directory.close();
    throw error;
  }
  return {
    guard: () => lease.guard(),
    signal: lease.signal,
    lost: () => lease.lostError(),
    release: async () => {
      try {
        await lease.release();
      } finally {
        await directory.close();
        await file.release();
      }
    },
  };
}
