/**
 * The daemon runs the lifecycle rules: those without a schedule on `daemon.schedules.lifecycle`, a rule with its
 * own `schedule` on that. A real process, cron slots in seconds, warnings received by a real SMTP server.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, student } from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import { childEnv } from '../support/child-env.js';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('rostersync daemon: lifecycle schedules', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-daemon', {
      config: {
        lifecycle: {
          rules: [
            { name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 },
            {
              name: 'never',
              trigger: 'never_logged_in',
              days: 60,
              warning_days: 14,
              // The same slots as daemon.schedules.lifecycle: the rule waits for that run, then runs.
              schedule: '*/2 * * * * *',
            },
          ],
        },
        daemon: { schedules: { lifecycle: '*/2 * * * * *' } },
      },
    });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Max', 'max@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1']);
    await fx.age({ 'S-1': { pwdLastSuccess: daysAgo(340) }, 'S-2': { createTimestamp: daysAgo(50) } });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('warns on daemon.schedules.lifecycle and on a rule’s own schedule, once each, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/rostersync.js', 'daemon', '--config', fx.configPath], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await until(async () => {
        const [eva, max] = [await fx.user('S-1'), await fx.user('S-2')];
        return eva?.rostersyncWarningRule === 'inactive' && max?.rostersyncWarningRule === 'never';
      }, 'both warnings recorded');
      expect(output).toContain("lifecycle at '*/2 * * * * *'");
      expect(output).toContain("lifecycle rule never at '*/2 * * * * *'");
      // A few more slots: the warnings are not sent again.
      await new Promise((done) => setTimeout(done, 2_500));
      expect(fx.smtp.received.map((mail) => mail.to).sort()).toEqual([
        ['eva@school.example'],
        ['max@school.example'],
      ]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
