import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDuration, renderStatusTable } from '../../src/cli/commands/status.js';
import { type Config, parseConfig } from '../../src/config/index.js';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { lockFilePath, parseLockInfo } from '../../src/state/lock.js';
import {
  type JobRecord,
  readRunHistory,
  readStatus,
  recordRun,
  runHistoryFilePath,
  statusFilePath,
} from '../../src/state/status.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function configFor(
  extra: { source_uid?: string; metrics?: string; url?: string; base_dn?: string } = {},
): Config {
  return parseConfig(
    {
      source_uid: extra.source_uid ?? 'sis',
      state_dir: join(dir, 'state'),
      ldap: { url: extra.url ?? 'ldap://ldap.example', base_dn: extra.base_dn ?? 'dc=example,dc=org' },
      ...(extra.metrics !== undefined ? { output: { metrics_file: extra.metrics } } : {}),
    },
    'test.yaml',
  );
}

function run(job: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    job,
    sourceUid: 'sis',
    startedAt: '2026-11-23T06:00:00.000Z',
    finishedAt: '2026-11-23T06:00:02.000Z',
    durationMs: 2000,
    exitCode: 0,
    result: 'ok',
    counts: { create: 2 },
    ...overrides,
  };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('status records', () => {
  it('reads nothing before the first run', async () => {
    expect(await readStatus(configFor())).toEqual({});
  });

  it('keeps the last run of each job, in a private state_dir, with no temp files left', async () => {
    const config = configFor();
    await recordRun(config, run('import'));
    await recordRun(config, run('purge', { exitCode: 1, result: 'failed', counts: {}, message: 'boom' }));
    await recordRun(config, run('import', { counts: { create: 0, update: 4 } }));

    const status = await readStatus(config);
    expect(Object.keys(status).sort()).toEqual(['import', 'purge']);
    expect(status.import?.counts).toEqual({ create: 0, update: 4 });
    expect(status.purge).toEqual(
      run('purge', { exitCode: 1, result: 'failed', counts: {}, message: 'boom' }),
    );

    expect(await mode(config.state_dir)).toBe(0o700);
    expect(await mode(statusFilePath(config))).toBe(0o600);
    expect(await mode(runHistoryFilePath(config))).toBe(0o600);
    expect((await readdir(config.state_dir)).sort()).toEqual(['runs.json', 'status.json']);
  });

  it('keeps the runs of two sources sharing one state_dir apart', async () => {
    const sis = configFor();
    const other = configFor({ source_uid: 'hr' });
    await recordRun(sis, run('import'));
    await recordRun(other, run('import', { sourceUid: 'hr', exitCode: 3, result: 'safety-limit' }));
    expect((await readStatus(sis)).import?.result).toBe('ok');
    expect((await readStatus(other)).import?.result).toBe('safety-limit');
  });

  it('survives concurrent writers without losing a record', async () => {
    const config = configFor();
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((job) => recordRun(config, run(job))));
    expect(Object.keys(await readStatus(config)).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await readRunHistory(config)).map((entry) => entry.job).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
    ]);
    expect((await readdir(config.state_dir)).sort()).toEqual(['runs.json', 'status.json']);
  });

  it('writes the metrics file readable by node_exporter, from every record, atomically', async () => {
    const metrics = join(dir, 'textfile', 'rostersync.prom');
    const config = configFor({ metrics });
    await recordRun(config, run('import'));
    await recordRun(configFor({ metrics, source_uid: 'hr' }), run('purge', { sourceUid: 'hr' }));
    const text = await readFile(metrics, 'utf8');
    expect(text).toContain('rostersync_last_run_success{job="import",source="sis"} 1\n');
    expect(text).toContain('rostersync_last_run_success{job="purge",source="hr"} 1\n');
    expect(text).toContain('rostersync_last_run_actions{job="import",source="sis",action="create"} 2\n');
    expect(await mode(metrics)).toBe(0o644);
    expect(await readdir(join(dir, 'textfile'))).toEqual(['rostersync.prom']);
  });

  it('reports a damaged status file on read, and starts afresh on the next record', async () => {
    const config = configFor();
    await recordRun(config, run('import'));
    await writeFile(statusFilePath(config), '{"sis": {"import": ');
    await expect(readStatus(config)).rejects.toThrow(/status\.json: not valid JSON/);
    await recordRun(config, run('purge'));
    expect(Object.keys(await readStatus(config))).toEqual(['purge']);
  });

  it('drops a record of the wrong shape instead of failing', async () => {
    const config = configFor();
    await recordRun(config, run('import'));
    const raw = JSON.parse(await readFile(statusFilePath(config), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    raw.sis = { ...raw.sis, purge: { job: 'purge', result: 'maybe' } };
    await writeFile(statusFilePath(config), JSON.stringify(raw));
    expect(Object.keys(await readStatus(config))).toEqual(['import']);
  });
});

describe('atomic writes', () => {
  it('replaces the whole file with exactly the given mode and leaves no temp file', async () => {
    const path = join(dir, 'out.txt');
    await writeFile(path, 'old content that is longer\n', { mode: 0o666 });
    await writeFileAtomic(path, 'new\n', 0o640);
    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect(await mode(path)).toBe(0o640);
    expect(await readdir(dir)).toEqual(['out.txt']);
  });

  it('leaves the old file untouched when the write fails', async () => {
    const path = join(dir, 'missing-dir', 'out.txt');
    await expect(writeFileAtomic(path, 'x', 0o600)).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('lock file names', () => {
  it('differ per source and per directory, and stay readable', () => {
    const base = lockFilePath(configFor());
    expect(basename(base)).toMatch(/^sis-[0-9a-f]{12}\.lock$/);
    expect(base.startsWith(join(dir, 'state', 'locks'))).toBe(true);
    expect(lockFilePath(configFor())).toBe(base);
    expect(lockFilePath(configFor({ source_uid: 'hr' }))).not.toBe(base);
    expect(lockFilePath(configFor({ url: 'ldap://other.example' }))).not.toBe(base);
    expect(lockFilePath(configFor({ base_dn: 'dc=other,dc=org' }))).not.toBe(base);
    expect(basename(lockFilePath(configFor({ source_uid: '../süd schule' })))).toMatch(
      /^\.\._s_d_schule-[0-9a-f]{12}\.lock$/,
    );
  });

  it('parse what acquire writes and reject garbage', () => {
    expect(parseLockInfo('{"pid":12,"startedAt":"2026-11-23T06:00:00Z","job":"import","host":"h"}')).toEqual({
      pid: 12,
      startedAt: '2026-11-23T06:00:00Z',
      job: 'import',
      host: 'h',
    });
    expect(parseLockInfo('')).toBeUndefined();
    expect(parseLockInfo('{"pid":-1}')).toBeUndefined();
    expect(parseLockInfo('[1]')).toBeUndefined();
  });
});

describe('status table', () => {
  it('says so when nothing ran yet', () => {
    expect(renderStatusTable([])).toBe('no runs recorded yet');
  });

  it('aligns one line per job and shows a failure message', () => {
    const text = renderStatusTable([
      run('purge', {
        exitCode: 1,
        result: 'failed',
        counts: {},
        message: 'connection refused',
        durationMs: 83,
      }),
      run('import', { counts: { create: 2, update: 0, delete: 1 } }),
    ]);
    expect(text.split('\n')).toEqual([
      'JOB     LAST RUN                  DURATION  RESULT  EXIT  COUNTS',
      'import  2026-11-23T06:00:02.000Z  2.0s      ok      0     create=2 delete=1',
      'purge   2026-11-23T06:00:02.000Z  83ms      failed  1     -',
      '  connection refused',
    ]);
  });

  it('formats durations', () => {
    expect(formatDuration(999)).toBe('999ms');
    expect(formatDuration(59_960)).toBe('1m00s');
    expect(formatDuration(125_400)).toBe('2m05s');
  });
});
