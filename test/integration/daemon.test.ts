/**
 * The daemon as systemd runs it: a real process on a real server, cron slots in seconds, signals.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { childEnv } from '../support/child-env.js';

const rows: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
];
const SLOW_HOOK = resolve('test/fixtures/daemon/slow-hook.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Running[] = [];
afterEach(() => {
  for (const { child } of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Two of three users due for purge (grace 0/30 from 2026-11-23); the daemon's clock says 2026-12-24. */
async function dueFixture(name: string, extra: Record<string, unknown>): Promise<ImportFixture> {
  const fx = await importFixture(name);
  await fx.writeRoster(rows);
  expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  await fx.writeRoster([rows[0]!]);
  expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  await setConfig(fx, extra);
  return fx;
}

async function setConfig(fx: ImportFixture, extra: Record<string, unknown>): Promise<void> {
  const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(fx.configPath, stringify({ ...config, ...extra }));
}

function startDaemon(fx: ImportFixture, env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, ['bin/rostersync.js', 'daemon', '--config', fx.configPath], {
    env: childEnv({ ROSTERSYNC_NOW: '2026-12-24', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const running = { child, output: () => text, exited };
  started.push(running);
  return running;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Records = Record<string, { result: string; counts: Record<string, number> }>;

/** This source's run records, as `rostersync status --format json` shows them. */
async function status(fx: ImportFixture): Promise<Records> {
  const result = await fx.run(['status', '--config', fx.configPath, '--format', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Records) : {};
}

describe('rostersync daemon', () => {
  it('fires the purge on its schedule, never two runs at once, and records the run', async () => {
    const fx = await dueFixture('daemon-fire', {
      daemon: { schedules: { purge: '*/1 * * * * *' } },
      hooks: [SLOW_HOOK],
    });
    try {
      const daemon = startDaemon(fx, { SLOW_HOOK_MS: '1800' });
      await until(async () => (await status(fx)).purge?.result === 'ok', 'a recorded purge');
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      expect(await fx.user('S-1')).toBeDefined();
      expect((await status(fx)).purge?.counts.delete).toBe(2);
      // Slots came every second while the slow run was going: skipped, and said so.
      expect(daemon.output()).toContain('purge not started: the purge run is still going');
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    } finally {
      await fx.dispose();
    }
  });

  it('on SIGTERM lets the current run finish the users it started, then exits 0', async () => {
    const fx = await dueFixture('daemon-term', {
      daemon: { schedules: { purge: '*/1 * * * * *' } },
      hooks: [SLOW_HOOK],
    });
    try {
      const daemon = startDaemon(fx, { SLOW_HOOK_MS: '1500' });
      await until(() => daemon.output().includes('purge run started'), 'the run to start');
      await new Promise((done) => setTimeout(done, 300));
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      expect(daemon.output()).toContain('stopping (SIGTERM)');
      // Both deletions had started (concurrently) before the signal: both were completed.
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      expect(daemon.output()).toContain('daemon stopped');
    } finally {
      await fx.dispose();
    }
  });

  it('on SIGHUP reloads the config, and keeps the old one when the new one is bad', async () => {
    const fx = await dueFixture('daemon-hup', { daemon: { schedules: { purge: '0 0 3 * * *' } } });
    try {
      const daemon = startDaemon(fx);
      await until(() => daemon.output().includes('daemon scheduled purge'), 'the daemon to start');
      await setConfig(fx, { no_such_key: true });
      daemon.child.kill('SIGHUP');
      await until(() => daemon.output().includes('config reload failed'), 'the failed reload');
      expect(daemon.output()).toContain('no_such_key');
      expect(daemon.child.exitCode).toBeNull();

      const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
      delete config.no_such_key;
      await writeFile(
        fx.configPath,
        stringify({ ...config, daemon: { schedules: { purge: '*/1 * * * * *' } } }),
      );
      daemon.child.kill('SIGHUP');
      await until(() => daemon.output().includes('config reloaded'), 'the reload');
      // The new schedule is in force: the purge runs within seconds.
      await until(async () => (await status(fx)).purge?.result === 'ok', 'a purge on the new schedule');
      expect(await fx.user('S-2')).toBeUndefined();
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    } finally {
      await fx.dispose();
    }
  });
});
