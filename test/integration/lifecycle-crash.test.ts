/**
 * A lifecycle run killed (SIGKILL) while the SMTP server is taking a warning, before the warning is recorded,
 * then run again: the mail may go out once more, never zero times, the warning is recorded once, nobody is
 * acted on without a recorded warning, and the killed run's lock does not block the rerun.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csns, logIn, student } from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import { childEnv } from '../support/child-env.js';

const WARNED = ['S-1', 'S-2', 'S-4', 'S-5'];
const ADDRESS: Record<string, string> = {
  'S-1': 'eva@school.example',
  'S-2': 'tom@school.example',
  'S-4': 'max@school.example',
  'S-5': 'lea@school.example',
};

/** The CLI as its own process (the compiled one), so it can be killed. */
function spawnLifecycle(configPath: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/rostersync.js', 'lifecycle', '--config', configPath], {
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited };
}

describe('lifecycle: killed between the mail and its record', () => {
  let fx: LifecycleFixture;
  let running: ReturnType<typeof spawnLifecycle> | undefined;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-crash', {
      config: {
        lifecycle: { rules: [{ name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 }] },
      },
    });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Tom', 'tom@school.example'),
      student('S-3', 'Ann', 'ann@school.example'),
      student('S-4', 'Max', 'max@school.example'),
      student('S-5', 'Lea', 'lea@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2', 'S-3', 'S-4', 'S-5']);
    // Everyone's day has passed; only Ann was warned, long enough ago to be acted on.
    await fx.age(
      Object.fromEntries(
        ['S-1', 'S-2', 'S-3', 'S-4', 'S-5'].map((id) => [id, { pwdLastSuccess: daysAgo(400) }]),
      ),
    );
    await fx.setAttributes('S-3', {
      rostersyncWarningTimestamp: [daysAgo(31)],
      rostersyncWarningRule: ['inactive'],
    });
  }, 60_000);
  afterAll(async () => {
    if (running?.child.exitCode === null) running.child.kill('SIGKILL');
    await fx?.dispose();
  });

  const mailsTo = (address: string) => fx.smtp.received.filter((mail) => mail.to.includes(address)).length;

  it('the killed run sent a mail it did not record, and acted on nobody it had not warned', async () => {
    const run = spawnLifecycle(fx.configPath);
    running = run;
    let killed = false;
    fx.smtp.beforeAccept = async () => {
      if (killed) return;
      killed = true;
      run.child.kill('SIGKILL');
      await run.exited;
    };
    await run.exited;
    fx.smtp.beforeAccept = undefined;
    expect(killed, 'a warning reached the SMTP server before the kill').toBe(true);
    expect(run.child.signalCode).toBe('SIGKILL');

    // The lock of the killed run is still there.
    expect(await readdir(join(fx.stateDir, 'locks'))).not.toEqual([]);
    // At least the mail it was killed on went out without a record.
    const unrecorded = [];
    for (const id of WARNED) {
      const user = await fx.user(id);
      expect(user, `${id} is not acted on`).toBeDefined();
      expect(user?.pwdAccountLockedTime, id).toBeUndefined();
      if (mailsTo(ADDRESS[id]!) > 0 && user?.rostersyncWarningTimestamp === undefined) unrecorded.push(id);
    }
    expect(unrecorded.length).toBeGreaterThan(0);
  });

  it('the rerun takes over the stale lock, sends each user at most one more, and records every warning once', async () => {
    const pid = running?.child.pid;
    const markedBefore = new Set<string>();
    for (const id of WARNED)
      if ((await fx.user(id))?.rostersyncWarningTimestamp !== undefined) markedBefore.add(id);
    const sentBefore = Object.fromEntries(WARNED.map((id) => [id, mailsTo(ADDRESS[id]!)]));

    const rerun = await fx.lifecycle();
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`taking over the stale lock of pid ${String(pid)}`);
    expect(await readdir(join(fx.stateDir, 'locks'))).toEqual([]);

    for (const id of WARNED) {
      const user = await fx.user(id);
      expect(user, `${id} is not acted on`).toBeDefined();
      // Recorded, once: one value, and one audit line writing it.
      expect(user?.rostersyncWarningRule, id).toBe('inactive');
      expect(user?.rostersyncWarningTimestamp, id).toMatch(/^\d{14}Z$/);
      const sent = mailsTo(ADDRESS[id]!);
      expect(sent, id).toBeGreaterThanOrEqual(1);
      expect(sent, id).toBeLessThanOrEqual(2);
      // A warning recorded before the kill is not sent again.
      if (markedBefore.has(id)) expect(sent, id).toBe(sentBefore[id]);
    }
    const marks = (await fx.auditLines()).filter(
      (line) =>
        line.action === 'modify' &&
        Object.keys((line.attributes as Record<string, unknown> | undefined) ?? {}).includes(
          'rostersyncWarningTimestamp',
        ),
    );
    for (const id of WARNED) {
      const dn = await fx.dnOf(id);
      expect(
        marks.filter((line) => line.dn === dn),
        id,
      ).toHaveLength(1);
    }
    // Ann's warning was recorded 31 days ago: she is acted on, by one run or the other.
    expect(await fx.user('S-3')).toBeUndefined();
    expect(mailsTo('ann@school.example')).toBe(0);

    // Settled: a further run sends and writes nothing.
    const before = await csns(fx);
    const mails = fx.smtp.received.length;
    expect((await fx.lifecycle()).code).toBe(0);
    expect(fx.smtp.received).toHaveLength(mails);
    expect(await csns(fx)).toEqual(before);
  });
});
