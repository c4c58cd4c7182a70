/** `runs.json`: every finished run of a source, newest first, at most RUN_HISTORY_LENGTH of them. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import {
  type JobRecord,
  readRunHistory,
  readStatus,
  recordRun,
  RUN_HISTORY_LENGTH,
  runHistoryFilePath,
} from '../../src/state/status.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-runs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const configFor = (source: string): Config =>
  parseConfig(
    { source_uid: source, state_dir: join(dir, 'state'), ldap: { url: 'ldap://x', base_dn: 'dc=x' } },
    'test.yaml',
  );

const run = (n: number, job = 'import'): JobRecord => ({
  job,
  sourceUid: 'sis',
  runId: `run-${n}`,
  startedAt: new Date(Date.UTC(2026, 10, 23, 6, n)).toISOString(),
  finishedAt: new Date(Date.UTC(2026, 10, 23, 6, n, 30)).toISOString(),
  durationMs: 30_000,
  exitCode: 0,
  result: 'ok',
  counts: { create: n },
});

describe('the run history', () => {
  it('keeps every finished run, newest first, where status.json keeps the last of each job', async () => {
    const config = configFor('sis');
    await recordRun(config, run(1));
    await recordRun(config, run(2, 'purge'));
    await recordRun(config, run(3));
    expect((await readRunHistory(config)).map((entry) => entry.runId)).toEqual(['run-3', 'run-2', 'run-1']);
    expect((await readStatus(config)).import?.runId).toBe('run-3');
    // Another source sharing the state_dir has its own.
    const other = configFor('other');
    await recordRun(other, { ...run(4), sourceUid: 'other' });
    expect((await readRunHistory(other)).map((entry) => entry.runId)).toEqual(['run-4']);
    expect(await readRunHistory(config)).toHaveLength(3);
  });

  it(`drops the oldest beyond ${RUN_HISTORY_LENGTH}`, async () => {
    const config = configFor('sis');
    const many = Array.from({ length: RUN_HISTORY_LENGTH }, (_, index) => run(index));
    await mkdir(config.state_dir, { recursive: true });
    await writeFile(runHistoryFilePath(config), JSON.stringify({ sis: many.reverse() }));
    await recordRun(config, run(9999));
    const runs = await readRunHistory(config);
    expect(runs).toHaveLength(RUN_HISTORY_LENGTH);
    expect(runs[0]?.runId).toBe('run-9999');
    expect(runs.at(-1)?.runId).toBe('run-1');
  });

  it('a damaged file is only lost history', async () => {
    const config = configFor('sis');
    await recordRun(config, run(1));
    await writeFile(runHistoryFilePath(config), '{ not json');
    expect(await readRunHistory(config)).toEqual([]);
    await recordRun(config, run(2));
    expect((await readRunHistory(config)).map((entry) => entry.runId)).toEqual(['run-2']);
  });
});
