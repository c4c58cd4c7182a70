/**
 * The workflow of a lifecycle rule on a real directory: a late warning gets its full reaction period, a
 * warning old enough is acted on, a real login or `rostersync keep` after the warning cancels it, and an
 * import that reactivates a user clears the lifecycle marks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGeneralizedTime } from '../../src/dates.js';
import { csns, dayFromToday, listOf, logIn, printedPlan, student } from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';

const EVA = student('S-1', 'Eva', 'eva@school.example');
const TOM = student('S-2', 'Tom', 'tom@school.example');
const ANN = student('S-3', 'Ann', 'ann@school.example');
const MAX = student('S-4', 'Max', 'max@school.example');
const LEA = student('S-5', 'Lea', 'lea@school.example');

/** A GeneralizedTime within a few minutes of the real clock. */
const isAboutNow = (value: unknown): boolean =>
  Math.abs(parseGeneralizedTime(String(value)).getTime() - Date.now()) < 5 * 60_000;

describe('lifecycle workflow: warned, ready, cancelled, kept, reactivated', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-workflow', {
      config: {
        lifecycle: { rules: [{ name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 }] },
      },
    });
    await fx.writeRoster([EVA, TOM, ANN, MAX, LEA]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2', 'S-3', 'S-4', 'S-5']);
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(340) },
      'S-2': { pwdLastSuccess: daysAgo(400) },
      'S-3': { pwdLastSuccess: daysAgo(400) },
      'S-4': { pwdLastSuccess: daysAgo(400) },
      'S-5': { pwdLastSuccess: daysAgo(340) },
    });
    // Ann was warned 31 days ago: her reaction period is over.
    await fx.setAttributes('S-3', {
      rostersyncWarningTimestamp: [daysAgo(31)],
      rostersyncWarningRule: ['inactive'],
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a user past its day but never warned is warned now and acted on 30 days later; a 31-day-old warning is acted on', async () => {
    const dry = await fx.lifecycle(['--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = printedPlan(dry);
    expect(listOf(plan, 'inactive', 'ready')).toEqual(['a.test']);
    expect(listOf(plan, 'inactive', 'warn')).toEqual(['e.test', 'l.test', 'm.test', 't.test']);
    const max = plan.rules[0]?.lists.warn?.find((user) => user.username === 'm.test');
    expect(max?.actOn).toBe(dayFromToday(30));

    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(fx.smtp.received.flatMap((mail) => mail.to).sort()).toEqual([
      'eva@school.example',
      'lea@school.example',
      'max@school.example',
      'tom@school.example',
    ]);
    expect(await fx.user('S-3'), 'Ann is deleted').toBeUndefined();
    const warnedMax = await fx.user('S-4');
    expect(warnedMax, 'Max is not deleted').toBeDefined();
    expect(warnedMax?.rostersyncWarningRule).toBe('inactive');
    expect(isAboutNow(warnedMax?.rostersyncWarningTimestamp)).toBe(true);
  });

  it('a real login after the warning cancels it: marks lifted, kept timestamp set, no mail', async () => {
    // The warning went out two days ago; Eva logs in today, after it.
    await fx.setAttributes('S-1', { rostersyncWarningTimestamp: [daysAgo(2)] });
    await logIn(fx, ['S-1']);
    const mails = fx.smtp.received.length;
    const result = await fx.lifecycle(['--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(listOf(printedPlan(result), 'inactive', 'cancelled')).toEqual(['e.test']);
    expect(fx.smtp.received).toHaveLength(mails);
    const eva = await fx.user('S-1');
    expect(eva?.rostersyncWarningTimestamp).toBeUndefined();
    expect(eva?.rostersyncWarningRule).toBeUndefined();
    expect(isAboutNow(eva?.rostersyncKeptTimestamp)).toBe(true);

    // Cancelled once: the next run writes and sends nothing.
    const before = await csns(fx);
    expect((await fx.lifecycle()).code).toBe(0);
    expect(await csns(fx)).toEqual(before);
    expect(fx.smtp.received).toHaveLength(mails);
  });

  it('rostersync keep after the warning: not acted on, no mail, and the clock restarts', async () => {
    // Tom's day has passed and his warning is 31 days old: without the keep, this run would delete him.
    await fx.setAttributes('S-2', { rostersyncWarningTimestamp: [daysAgo(31)] });
    const due = await fx.lifecycle(['--dry-run', '--format', 'json']);
    expect(listOf(printedPlan(due), 'inactive', 'ready')).toEqual(['t.test']);

    const keep = await fx.run(['keep', '--config', fx.configPath, 't.test']);
    expect(keep.code, keep.stderr).toBe(0);
    const kept = await fx.user('S-2');
    expect(kept?.rostersyncWarningTimestamp).toBeUndefined();
    expect(isAboutNow(kept?.rostersyncKeptTimestamp)).toBe(true);

    const dry = await fx.lifecycle(['--dry-run', '--format', 'json']);
    const plan = printedPlan(dry);
    expect(listOf(plan, 'inactive', 'ready')).toEqual([]);
    // A candidate again, counted from the keep: warned 365 − 30 days from today.
    const tom = plan.rules[0]?.lists.candidates?.find((user) => user.username === 't.test');
    expect(tom?.warnOn).toBe(dayFromToday(335));

    const mails = fx.smtp.received.length;
    const before = await csns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(fx.smtp.received).toHaveLength(mails);
    expect(await csns(fx)).toEqual(before);
  });

  it('a warned user who leaves the roster and comes back: the import clears the warning and the keep', async () => {
    await fx.setAttributes('S-5', { rostersyncKeptTimestamp: [daysAgo(100)] });
    expect((await fx.user('S-5'))?.rostersyncWarningRule).toBe('inactive');
    await fx.writeRoster([EVA, TOM, MAX]);
    expect((await fx.runImport()).code).toBe(0);
    const gone = await fx.user('S-5');
    expect(gone?.pwdAccountLockedTime).toBeDefined();

    await fx.writeRoster([EVA, TOM, MAX, LEA]);
    const back = await fx.runImport();
    expect(back.code, back.stderr).toBe(0);
    const lea = await fx.user('S-5');
    expect(lea?.pwdAccountLockedTime).toBeUndefined();
    expect(lea?.rostersyncWarningTimestamp).toBeUndefined();
    expect(lea?.rostersyncWarningRule).toBeUndefined();
    expect(lea?.rostersyncKeptTimestamp).toBeUndefined();
    await logIn(fx, ['S-5']);
  });
});

describe('lifecycle: a warning about an earlier episode does not stand for the current one', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-stale-warning', {
      config: {
        lifecycle: {
          rules: [
            { name: 'ended', trigger: 'expired', days: 30, warning_days: 7 },
            { name: 'locked', trigger: 'deactivated', days: 30, warning_days: 7 },
          ],
        },
      },
    });
    await fx.writeRoster([EVA, TOM]);
    expect((await fx.runImport()).code).toBe(0);
    // Both were warned 300 days ago. Since then an admin extended Eva's end date, which has now passed again
    // 30 days ago, and lifted Tom's lock, which was set again 30 days ago.
    await fx.setAttributes('S-1', {
      pwdEndTime: [daysAgo(30)],
      rostersyncWarningTimestamp: [daysAgo(300)],
      rostersyncWarningRule: ['ended'],
    });
    await fx.setAttributes('S-2', {
      pwdAccountLockedTime: ['000001010000Z'],
      rostersyncDeactivatedTimestamp: [daysAgo(30)],
      rostersyncWarningTimestamp: [daysAgo(300)],
      rostersyncWarningRule: ['locked'],
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('warns them again, a full reaction period before the action, instead of acting now', async () => {
    const result = await fx.lifecycle(['--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const plan = printedPlan(result);
    expect(listOf(plan, 'ended', 'ready')).toEqual([]);
    expect(listOf(plan, 'locked', 'ready')).toEqual([]);
    expect(
      plan.rules.flatMap((rule) => rule.lists.warn ?? []).map((user) => [user.username, user.actOn]),
    ).toEqual([
      ['e.test', dayFromToday(7)],
      ['t.test', dayFromToday(7)],
    ]);
    expect(fx.smtp.received.flatMap((mail) => mail.to).sort()).toEqual([
      'eva@school.example',
      'tom@school.example',
    ]);
    for (const id of ['S-1', 'S-2']) {
      const user = await fx.user(id);
      expect(user, `${id} is not deleted`).toBeDefined();
      expect(isAboutNow(user?.rostersyncWarningTimestamp), id).toBe(true);
    }
  });
});
