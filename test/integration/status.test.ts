/** runJob records each run; `rostersync status` shows them and the metrics textfile mirrors them. */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { ExitCode, RostersyncError } from '../../src/errors.js';
import { runJob } from '../../src/jobs/run-job.js';
import type { JobRecord } from '../../src/state/status.js';
import { runCli } from '../support/cli.js';
import { silentLogger } from '../support/logging.js';

let dir: string;
let configPath: string;
let metricsFile: string;
let config: Config;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-status-'));
  configPath = join(dir, 'rostersync.json');
  metricsFile = join(dir, 'textfile', 'rostersync.prom');
  await writeFile(
    configPath,
    JSON.stringify({
      source_uid: 'sis',
      state_dir: join(dir, 'state'),
      ldap: { url: 'ldap://ldap.example', base_dn: 'dc=example,dc=org' },
      output: { metrics_file: metricsFile, log_format: 'json' },
    }),
  );
  config = (await loadConfig({ configPath, env: {}, cwd: dir })).config;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const status = async (format: string) => {
  const result = await runCli(['status', '--config', configPath, '--format', format]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
};

describe('rostersync status', () => {
  it('says so before any run', async () => {
    expect(await status('table')).toBe('no runs recorded yet\n');
    expect(JSON.parse(await status('json'))).toEqual({});
  });

  it('shows the last run of each job after runJob, and writes the metrics file', async () => {
    const clock = (() => {
      const times = ['2026-11-23T06:00:00.000Z', '2026-11-23T06:00:02.000Z'];
      let index = 0;
      return () => new Date(times[index++ % times.length] ?? '');
    })();
    const ok = await runJob({ config, job: 'import', logger: silentLogger, dryRun: false, now: clock }, () =>
      Promise.resolve({ exitCode: ExitCode.ok, counts: { create: 3, update: 1 }, extra: 'kept' }),
    );
    expect(ok.extra).toBe('kept');
    const failed = await runJob({ config, job: 'purge', logger: silentLogger, dryRun: false }, () =>
      Promise.resolve({ exitCode: ExitCode.failed, counts: { delete: 2 } }),
    );
    expect(failed.exitCode).toBe(1);

    const records = JSON.parse(await status('json')) as Record<string, JobRecord>;
    expect(Object.keys(records).sort()).toEqual(['import', 'purge']);
    const { durationMs, runId, ...importRecord } = records.import ?? ({} as JobRecord);
    expect(runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(importRecord).toEqual({
      job: 'import',
      sourceUid: 'sis',
      startedAt: '2026-11-23T06:00:00.000Z',
      finishedAt: '2026-11-23T06:00:02.000Z',
      exitCode: 0,
      result: 'ok',
      counts: { create: 3, update: 1 },
    });
    expect(durationMs).toBeLessThan(2000); // the real clock, not the pinned one
    expect(records.purge).toMatchObject({
      job: 'purge',
      exitCode: 1,
      result: 'failed',
      counts: { delete: 2 },
    });
    expect(Date.parse(records.purge?.finishedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    const table = (await status('table')).split('\n');
    expect(table[0]).toMatch(/^JOB +LAST RUN +DURATION +RESULT +EXIT +COUNTS$/);
    expect(table[1]).toMatch(/^import +2026-11-23T06:00:02\.000Z +\d+ms +ok +0 +create=3 update=1$/);
    expect(table[2]).toMatch(/^purge +\S+ +\d+ms +failed +1 +delete=2$/);

    const metrics = await readFile(metricsFile, 'utf8');
    expect((await stat(metricsFile)).mode & 0o777).toBe(0o644);
    expect(await readdir(join(dir, 'textfile'))).toEqual(['rostersync.prom']);
    expect(metrics).toContain('# TYPE rostersync_last_run_success gauge\n');
    expect(metrics).toContain(
      'rostersync_last_run_timestamp_seconds{job="import",source="sis"} 1795413602\n',
    );
    expect(metrics).toContain('rostersync_last_run_success{job="import",source="sis"} 1\n');
    expect(metrics).toContain('rostersync_last_run_success{job="purge",source="sis"} 0\n');
    expect(metrics).toContain('rostersync_last_run_exit_code{job="purge",source="sis"} 1\n');
    expect(metrics).toContain('rostersync_last_run_actions{job="import",source="sis",action="create"} 3\n');
    expect(metrics).toContain('rostersync_last_run_actions{job="purge",source="sis",action="delete"} 2\n');
  });

  it('records a thrown error with its message and rethrows it; safety-limit stops are their own result', async () => {
    const logger = silentLogger;
    await expect(
      runJob({ config, job: 'purge', logger, dryRun: false }, () =>
        Promise.reject(new RostersyncError('directory unreachable')),
      ),
    ).rejects.toThrow('directory unreachable');
    await runJob({ config, job: 'import', logger, dryRun: false }, () =>
      Promise.resolve({ exitCode: ExitCode.safetyLimit, counts: { delete: 40 } }),
    );

    const records = JSON.parse(await status('json')) as Record<string, JobRecord>;
    expect(records.purge).toMatchObject({ result: 'error', exitCode: 1, message: 'directory unreachable' });
    expect(records.import).toMatchObject({ result: 'safety-limit', exitCode: 3 });
    expect(await status('table')).toContain('\n  directory unreachable\n');
    expect(await readdir(join(dir, 'state', 'locks'))).toEqual([]);
  });

  it('validates the config like every command (exit 2)', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ source_uid: 'sis', ldap: { base_dn: 'dc=x' }, stat_dir: '/tmp' }));
    const result = await runCli(['status', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stat_dir');
  });
});
