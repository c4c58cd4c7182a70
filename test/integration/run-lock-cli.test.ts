/**
 * The run lock seen from the CLI (SPEC §5, §9): while another run holds the lock for the directory and
 * source, `rostersync import` and `rostersync purge` exit 4 naming the holder and write nothing; a lock
 * left by a dead process is taken over with a warning; a dry run needs no lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { lockFilePath, RunLock } from '../../src/state/lock.js';
import type { CliResult } from '../support/cli.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { silentLogger } from '../support/logging.js';

const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
];
const newcomer: RosterRow = { id: 'S-4', first: 'Ina', last: 'Neu', schools: 'gym1', role: 'student' };

function expectCode(result: CliResult, code: number): void {
  expect(result.code, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code);
}

/** The lock file in the format RunLock writes (src/state/lock.ts), held by `pid`. */
async function writeLockOf(config: Config, pid: number, job: string): Promise<string> {
  const path = lockFilePath(config);
  // Creates <state_dir>/locks with the mode RunLock uses.
  await RunLock.acquire(config, 'setup', silentLogger).then((lock) => lock.release());
  const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await writeFile(path, `${JSON.stringify({ pid, startedAt, job, host: hostname(), token: 'cafe01' })}\n`, {
    mode: 0o600,
  });
  return path;
}

/** The pid of a process that has run and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid;
  await once(child, 'exit');
  if (pid === undefined) throw new Error('no pid');
  return pid;
}

interface LogLine {
  level?: string;
  message?: string;
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('run lock through the CLI', () => {
  let fx: ImportFixture;
  let config: Config;
  let child: ChildProcess | undefined;

  const importNewcomer = (extra: string[] = []) => fx.runImport(['--now', '2026-11-24', ...extra]);
  const purge = (extra: string[] = []) =>
    fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-23', ...extra]);

  beforeAll(async () => {
    fx = await importFixture('run-lock-cli');
    await fx.writeRoster(everyone);
    expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
    // S-2 and S-3 leave: locked now, due for the purge on 2026-12-23.
    await fx.writeRoster([everyone[0]!]);
    expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
    // The next import would add S-4.
    await fx.writeRoster([everyone[0]!, newcomer]);
    ({ config } = await loadConfig({ configPath: fx.configPath, env: {} }));
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
    await fx.dispose();
  });

  describe('while this process holds the lock', () => {
    let lock: RunLock;
    let held: string;
    beforeAll(async () => {
      lock = await RunLock.acquire(config, 'import', silentLogger);
      held = await readFile(lock.path, 'utf8');
    });
    afterAll(async () => {
      await lock.release();
    });

    it('import exits 4, names the holder, and writes nothing', async () => {
      const audit = (await fx.auditLines()).length;
      const result = await importNewcomer();
      expectCode(result, 4);
      expect(result.stderr).toContain(
        `another run holds the lock for source sis-test (pid ${process.pid}, import`,
      );
      expect(await fx.user('S-4')).toBeUndefined();
      expect((await fx.auditLines()).length).toBe(audit);
      expect(await readFile(lock.path, 'utf8')).toBe(held);
    });

    it('purge exits 4, names the holder, and deletes nobody', async () => {
      const audit = (await fx.auditLines()).length;
      const result = await purge();
      expectCode(result, 4);
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(await fx.user('S-2')).toBeDefined();
      expect(await fx.user('S-3')).toBeDefined();
      expect((await fx.auditLines()).length).toBe(audit);
      expect(await readFile(lock.path, 'utf8')).toBe(held);
    });

    it('--dry-run needs no lock: import and purge exit 0, writing nothing', async () => {
      const audit = (await fx.auditLines()).length;
      const dryImport = await importNewcomer(['--dry-run']);
      expectCode(dryImport, 0);
      expect(dryImport.stdout).toContain('i.neu');
      const dryPurge = await purge(['--dry-run']);
      expectCode(dryPurge, 0);
      expect(dryPurge.stdout).toContain('e.kurz');
      expect(await fx.user('S-4')).toBeUndefined();
      expect(await fx.user('S-2')).toBeDefined();
      expect((await fx.auditLines()).length).toBe(audit);
      // The holder's lock is untouched.
      expect(await readFile(lock.path, 'utf8')).toBe(held);
    });
  });

  it('while another live process holds it: import and purge exit 4 naming that pid', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    child = other;
    await once(other, 'spawn');
    const pid = other.pid ?? 0;
    await writeLockOf(config, pid, 'purge');

    const imported = await importNewcomer();
    expectCode(imported, 4);
    expect(imported.stderr).toContain(`(pid ${pid}, purge, started `);
    const purged = await purge();
    expectCode(purged, 4);
    expect(purged.stderr).toContain(`pid ${pid}`);
    expect(await fx.user('S-4')).toBeUndefined();
    expect(await fx.user('S-2')).toBeDefined();

    // The holder dies without releasing: its lock is stale now and the next import takes it over.
    other.kill();
    await once(other, 'exit');
    const result = await importNewcomer();
    expectCode(result, 0);
    expect(logLines(result.stderr)).toContainEqual(
      expect.objectContaining({ level: 'warn', message: `taking over the stale lock of pid ${pid}` }),
    );
    expect(await fx.user('S-4')).toBeDefined();
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
  });

  it('a lock left by a dead process is taken over with a warning', async () => {
    const pid = await deadPid();
    const path = await writeLockOf(config, pid, 'import');
    await fx.writeRoster([everyone[0]!]); // S-4 leaves again: a real import run with writes
    const result = await fx.runImport(['--now', '2026-11-25']);
    expectCode(result, 0);
    expect(logLines(result.stderr)).toContainEqual(
      expect.objectContaining({ level: 'warn', message: `taking over the stale lock of pid ${pid}` }),
    );
    expect(String((await fx.user('S-4'))?.pwdAccountLockedTime)).toMatch(/Z$/);
    // Released at the end of the run.
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);

    // The same for the purge.
    const again = await deadPid();
    await writeLockOf(config, again, 'purge');
    const purged = await purge();
    expectCode(purged, 0);
    expect(logLines(purged.stderr)).toContainEqual(
      expect.objectContaining({ level: 'warn', message: `taking over the stale lock of pid ${again}` }),
    );
    expect(await fx.user('S-2')).toBeUndefined();
    expect(await fx.user('S-3')).toBeUndefined();
    expect(await readdir(join(config.state_dir, 'locks'))).toEqual([]);
    expect(path).toBe(lockFilePath(config));
  });
});
