/**
 * What `rostersync status` (and the metrics file) says about runs that did not simply finish: a run in
 * progress, a run killed before it could record a result, a run refused because another held the lock.
 * And the daemon: each scheduled run logs with its own run id, the one in its audit lines and its status.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const SLOW_POST_CREATE = resolve('test/fixtures/daemon/slow-post-create-hook.js');

const many: RosterRow[] = Array.from({ length: 200 }, (_, index) => ({
  id: `R-${index}`,
  first: 'Kim',
  last: `Lauf${index}`,
  schools: 'gym1',
  role: 'student',
  classes: `${5 + (index % 5)}a`,
}));

interface LogLine {
  level: string;
  message: string;
  runId?: string;
  job?: string;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

interface RunState {
  runId: string;
  pid: number;
  startedAt: string;
}

type Shown = Record<
  string,
  {
    result?: string;
    exitCode?: number;
    runId?: string;
    running?: RunState;
    died?: RunState;
    refused?: { count: number; message: string };
  }
>;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function setConfig(fx: ImportFixture, extra: Record<string, unknown>): Promise<void> {
  const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(fx.configPath, stringify({ ...config, ...extra }));
}

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

function start(fx: ImportFixture, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, ['bin/rostersync.js', ...args, '--config', fx.configPath], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => text, exited };
}

/** A slow import (every new user holds its slot a while) as its own process. */
function slowImport(fx: ImportFixture): Run {
  return start(fx, ['import', '--input', fx.rosterPath, '--now', '2026-11-23'], { SLOW_HOOK_MS: '150' });
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function statusJson(fx: ImportFixture): Promise<Shown> {
  const result = await fx.run(['status', '--config', fx.configPath, '--format', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Shown;
}

async function statusTable(fx: ImportFixture): Promise<string> {
  const result = await fx.run(['status', '--config', fx.configPath]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** The id of the run writing now (its first new audit line), once it has written `after` lines before. */
async function writingRunId(fx: ImportFixture, after = 0): Promise<string> {
  await until(async () => (await fx.auditLines()).length > after, 'the first write');
  return String((await fx.auditLines())[after]?.runId);
}

describe('rostersync status, for runs that did not simply finish', () => {
  it('shows a run in progress, and a SIGKILLed run as died without a result; the rerun replaces it', async () => {
    const fx = await importFixture('status-killed', { config: { hooks: [SLOW_POST_CREATE] } });
    try {
      await fx.writeRoster(many);
      const run = slowImport(fx);
      const runId = await writingRunId(fx);
      await until(async () => (await fx.users()).length > 0, 'the first users');

      const during = await statusJson(fx);
      expect(during.import?.running).toMatchObject({ runId, pid: run.child.pid });
      expect(await statusTable(fx)).toContain(`  running: run ${runId} (pid ${run.child.pid}, started `);

      run.child.kill('SIGKILL');
      await run.exited;
      expect((await fx.users()).length).toBeLessThan(many.length);
      // The run's own id: the one in its audit lines.
      expect(new Set((await fx.auditLines()).map((line) => line.runId))).toEqual(new Set([runId]));

      const after = await statusJson(fx);
      expect(after.import?.running).toBeUndefined();
      expect(after.import?.died).toMatchObject({ runId, pid: run.child.pid });
      expect(await statusTable(fx)).toMatch(
        new RegExp(
          `\\n {2}died: run ${runId} \\(pid ${run.child.pid}, started \\S+\\) ended without a result`,
        ),
      );

      const rerun = await fx.runImport(['--now', '2026-11-23']);
      expect(rerun.code, rerun.stderr.slice(-2000)).toBe(0);
      expect(logLines(rerun.stderr).map((line) => line.message)).toContainEqual(
        expect.stringMatching(
          new RegExp(`^the previous import run ${runId} \\(pid \\d+, .*ended without a result$`),
        ),
      );
      expect(await fx.users()).toHaveLength(many.length);
      const done = await statusJson(fx);
      expect(done.import).toMatchObject({ result: 'ok', exitCode: 0 });
      expect(done.import?.runId).not.toBe(runId);
      expect(done.import?.died).toBeUndefined();
      expect(done.import?.running).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  }, 60_000);

  it('a run refused by the lock (exit 4) leaves the last run and the running one as they are', async () => {
    const metricsFile = 'metrics/rostersync.prom';
    const fx = await importFixture('status-refused', { config: { hooks: [SLOW_POST_CREATE] } });
    try {
      await setConfig(fx, {
        output: { log_format: 'json', metrics_file: join(fx.dir, metricsFile) },
      });
      const metrics = () => readFile(join(fx.dir, metricsFile), 'utf8');
      await fx.writeRoster(many.slice(0, 3));
      const first = await fx.runImport(['--now', '2026-11-23']);
      expect(first.code, first.stderr).toBe(0);
      const previous = (await statusJson(fx)).import?.runId;

      await fx.writeRoster(many);
      const written = (await fx.auditLines()).length;
      const holder = slowImport(fx);
      const holderId = await writingRunId(fx, written);
      await until(async () => (await fx.users()).length > 3, 'the holder to write');

      const refused = await fx.runImport(['--now', '2026-11-23']);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(
        `another run holds the lock for source sis-test (pid ${holder.child.pid}`,
      );

      // While the holder runs: its state and the last finished run are what they were, the refusal is counted.
      const during = await statusJson(fx);
      expect(during.import).toMatchObject({ result: 'ok', exitCode: 0, runId: previous });
      expect(during.import?.running?.runId).toBe(holderId);
      expect(during.import?.refused).toMatchObject({ count: 1 });
      expect(during.import?.refused?.message).toContain(`pid ${holder.child.pid}`);
      expect(await metrics()).toContain('rostersync_last_run_exit_code{job="import",source="sis-test"} 0\n');
      expect(await metrics()).toContain('rostersync_refused_runs_total{job="import",source="sis-test"} 1\n');
      expect(await statusTable(fx)).toContain(
        '  refused: 1 run while another run held the lock, the last at ',
      );

      expect(await holder.exited).toBe(0);
      const after = await statusJson(fx);
      expect(after.import).toMatchObject({
        result: 'ok',
        exitCode: 0,
        runId: holderId,
        refused: { count: 1 },
      });
      expect(after.import?.running).toBeUndefined();
      expect(await fx.users()).toHaveLength(many.length);
      expect(await metrics()).toContain('rostersync_last_run_success{job="import",source="sis-test"} 1\n');
      expect(await metrics()).toContain('# TYPE rostersync_refused_runs_total counter\n');
    } finally {
      await fx.dispose();
    }
  }, 60_000);
});

describe('the daemon', () => {
  it("logs each scheduled run with that run's own id, as in its audit lines and its status", async () => {
    const fx = await importFixture('daemon-run-id');
    const rows = many.slice(0, 3);
    try {
      await fx.writeRoster(rows);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      await fx.writeRoster(rows.slice(0, 1)); // two leave: due for the purge a month later
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      const importRuns = new Set((await fx.auditLines()).map((line) => line.runId));
      await setConfig(fx, { daemon: { schedules: { purge: '*/1 * * * * *' } } });

      const daemon = start(fx, ['daemon'], { ROSTERSYNC_NOW: '2026-12-24' });
      await until(async () => (await statusJson(fx)).purge?.result === 'ok', 'a recorded purge');
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);

      const purgeAudit = (await fx.auditLines()).filter((line) => !importRuns.has(line.runId));
      const purgeIds = new Set(purgeAudit.map((line) => line.runId));
      expect(purgeIds.size).toBe(1);
      const [purgeId = ''] = purgeIds;
      expect(purgeAudit.map((line) => line.action)).toContain('delete');

      const lines = logLines(daemon.output());
      const daemonId = lines.find((line) => line.message.startsWith('daemon scheduled'))?.runId;
      expect(daemonId).toBeDefined();
      expect(purgeId).not.toBe(daemonId);
      const ofThatRun = lines.filter((line) => line.runId === purgeId).map((line) => line.message);
      expect(ofThatRun).toContain('purge run started');
      expect(ofThatRun).toContainEqual(expect.stringMatching(/^purge done: .*\b2 delete\b/));
      // Nothing a run logs carries the daemon's own id.
      expect(lines.filter((line) => line.job === 'purge' && line.runId === daemonId)).toEqual([]);
      // The status names the run that did the work, or a later one (the schedule fires every second).
      const recorded = (await statusJson(fx)).purge?.runId ?? '';
      expect(lines.some((line) => line.runId === recorded && line.message === 'purge run started')).toBe(
        true,
      );
    } finally {
      await fx.dispose();
    }
  }, 60_000);
});
