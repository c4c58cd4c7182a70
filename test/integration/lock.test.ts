/** One run at a time per directory and source: the lock file, stale locks, and runJob under contention. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { ExitCode } from '../../src/errors.js';
import { runJob } from '../../src/jobs/run-job.js';
import { LockedError, lockFilePath, RunLock } from '../../src/state/lock.js';
import { readStatus } from '../../src/state/status.js';
import { captureLogger, silentLogger } from '../support/logging.js';

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await rm(dir, { recursive: true, force: true });
});

function configFor(sourceUid = 'sis', baseDn = 'dc=example,dc=org'): Config {
  return parseConfig(
    {
      source_uid: sourceUid,
      state_dir: join(dir, 'state'),
      ldap: { url: 'ldap://ldap.example', base_dn: baseDn },
    },
    'test.yaml',
  );
}

/** The pid of a process that has run and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid;
  await once(child, 'exit');
  if (pid === undefined) throw new Error('no pid');
  return pid;
}

/** A live process that is not this one. */
async function livePid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  children.push(child);
  await once(child, 'spawn');
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

async function writeLock(config: Config, content: string): Promise<string> {
  const path = lockFilePath(config);
  await RunLock.acquire(config, 'setup', silentLogger).then((lock) => lock.release());
  await writeFile(path, content);
  return path;
}

describe('RunLock', () => {
  it('lets one run hold the lock; a second acquire fails with exit 4 naming pid, job and start', async () => {
    const config = configFor();
    const lock = await RunLock.acquire(config, 'import', silentLogger);
    const content = JSON.parse(await readFile(lock.path, 'utf8')) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, job: 'import' });
    expect(typeof content.host).toBe('string');
    expect(String(content.startedAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(config.state_dir, 'locks'))).mode & 0o777).toBe(0o700);

    const second = await RunLock.acquire(config, 'purge', silentLogger).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(LockedError);
    expect((second as LockedError).exitCode).toBe(ExitCode.locked);
    expect((second as LockedError).message).toBe(
      `another run holds the lock for source sis (pid ${process.pid}, import, started ${String(content.startedAt)}); exit 4`,
    );

    await lock.release();
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
    const third = await RunLock.acquire(config, 'purge', silentLogger);
    await third.release();
  });

  it('refuses while another live process holds it', async () => {
    const config = configFor();
    const pid = await livePid();
    await writeLock(
      config,
      JSON.stringify({ pid, startedAt: new Date().toISOString(), job: 'purge', host: 'x' }),
    );
    await expect(RunLock.acquire(config, 'import', silentLogger)).rejects.toThrow(
      new RegExp(`\\(pid ${pid} on host x, purge, started `),
    );
  });

  it('takes over the lock of a dead process and warns about it', async () => {
    const config = configFor();
    const pid = await deadPid();
    const path = await writeLock(
      config,
      JSON.stringify({ pid, startedAt: new Date().toISOString(), job: 'import', host: 'h' }),
    );
    const { logger, lines } = captureLogger();
    const lock = await RunLock.acquire(config, 'purge', logger);
    const warnings = (await lines()).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toContainEqual(
      expect.objectContaining({ level: 'warn', message: `taking over the stale lock of pid ${pid}` }),
    );
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, job: 'purge' });
    await lock.release();
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
  });

  it('takes over an empty or garbled lock file', async () => {
    const config = configFor();
    await writeLock(config, '');
    const lock = await RunLock.acquire(config, 'import', silentLogger);
    await lock.release();
    await writeLock(config, '{"pid": "nope"');
    await (await RunLock.acquire(config, 'import', silentLogger)).release();
  });

  it('takes over a lock left with our own pid by an earlier process (restarted container)', async () => {
    const config = configFor();
    await writeLock(
      config,
      JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), job: 'import', host: 'h' }),
    );
    await (await RunLock.acquire(config, 'import', silentLogger)).release();
  });

  it('gives a stale lock to exactly one of several runs racing for it', async () => {
    const config = configFor();
    const pid = await deadPid();
    await writeLock(
      config,
      JSON.stringify({ pid, startedAt: new Date().toISOString(), job: 'import', host: 'h' }),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => RunLock.acquire(config, 'import', silentLogger)),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(LockedError);
    }
    await won[0]?.value.release();
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
  });

  it('release leaves a lock alone that is no longer ours', async () => {
    const config = configFor();
    const lock = await RunLock.acquire(config, 'import', silentLogger);
    const other = JSON.stringify({ pid: 1, startedAt: '2026-11-23T06:00:00Z', job: 'import', host: 'h' });
    await writeFile(lock.path, other);
    await lock.release();
    expect(await readFile(lock.path, 'utf8')).toBe(other);
  });

  it('never blocks between different sources or different directories', async () => {
    const locks = await Promise.all([
      RunLock.acquire(configFor('sis'), 'import', silentLogger),
      RunLock.acquire(configFor('hr'), 'import', silentLogger),
      RunLock.acquire(configFor('sis', 'dc=other,dc=org'), 'import', silentLogger),
    ]);
    expect(new Set(locks.map((lock) => lock.path)).size).toBe(3);
    await Promise.all(locks.map((lock) => lock.release()));
  });
});

describe('runJob under contention', () => {
  it('runs one job at a time: the second concurrent run throws LockedError (exit 4) without running', async () => {
    const config = configFor();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let secondRan = false;

    const first = runJob({ config, job: 'import', logger: silentLogger, dryRun: false }, async () => {
      await gate;
      return { exitCode: ExitCode.ok, counts: { create: 1 } };
    });
    await sleep(50);
    const second = runJob({ config, job: 'purge', logger: silentLogger, dryRun: false }, () => {
      secondRan = true;
      return Promise.resolve({ exitCode: ExitCode.ok, counts: {} });
    });
    const error = await second.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).exitCode).toBe(4);
    expect((error as LockedError).message).toMatch(new RegExp(`\\(pid ${process.pid}, import, started `));
    expect(secondRan).toBe(false);

    release();
    expect(await first).toEqual({ exitCode: ExitCode.ok, counts: { create: 1 } });
    const status = await readStatus(config);
    expect(status.import?.result).toBe('ok');
    // The refusal is counted; it is not a purge run, so purge still has no last run.
    expect(status.purge).toMatchObject({ refused: { count: 1, message: (error as LockedError).message } });
    expect(Object.keys(status.purge ?? {}).sort()).toEqual(['job', 'refused', 'sourceUid']);
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
  });

  it('dry runs take no lock and record nothing', async () => {
    const config = configFor();
    const lock = await RunLock.acquire(config, 'import', silentLogger);
    const result = await runJob({ config, job: 'import', logger: silentLogger, dryRun: true }, () =>
      Promise.resolve({ exitCode: ExitCode.ok, counts: { create: 5 } }),
    );
    expect(result.counts).toEqual({ create: 5 });
    await lock.release();
    expect(await readStatus(config)).toEqual({});
  });
});
