/**
 * The lifecycle rule engine (SPEC §7) with plain values: every trigger, both edges of each threshold (the day
 * before and the day itself), warnings, late warnings, cancellation, keep and unwarnable users.
 */
import { describe, expect, it } from 'vitest';
import { type LifecycleUser, lifecycleStep, referenceTime } from '../../src/plan/lifecycle.js';

const ZONE = 'Europe/Berlin';
/** 2026-03-10 00:00 in Berlin (CET), and whole days from it (within CET: these are the starts of days). */
const DAY0 = new Date('2026-03-09T23:00:00Z');
const day = (n: number, hours = 0): Date => new Date(DAY0.getTime() + n * 86_400_000 + hours * 3_600_000);

function user(overrides: Partial<LifecycleUser> = {}): LifecycleUser {
  return {
    lastLogin: undefined,
    created: undefined,
    mustChangePassword: false,
    passwordChanged: undefined,
    locked: false,
    deactivated: undefined,
    ends: undefined,
    warning: undefined,
    kept: undefined,
    canBeMailed: true,
    ...overrides,
  };
}

const rule = (overrides: Partial<Parameters<typeof lifecycleStep>[0]> = {}) => ({
  name: 'stale',
  trigger: 'no_login' as const,
  days: 10,
  warning_days: 0,
  unwarnable: 'keep' as const,
  ...overrides,
});

describe('referenceTime: which users each trigger matches, from when', () => {
  const now = day(100);
  it('no_login: has logged in, since the last login', () => {
    expect(referenceTime('no_login', user({ lastLogin: day(1, 9) }), now)).toEqual(day(1, 9));
    expect(referenceTime('no_login', user({ created: day(1) }), now)).toBeUndefined();
  });
  it('never_logged_in: no login, since it was created', () => {
    expect(referenceTime('never_logged_in', user({ created: day(2) }), now)).toEqual(day(2));
    expect(
      referenceTime('never_logged_in', user({ created: day(2), lastLogin: day(3) }), now),
    ).toBeUndefined();
  });
  it('unconfirmed: an admin-set password, since it was set (else created)', () => {
    expect(referenceTime('unconfirmed', user({ mustChangePassword: true, created: day(1) }), now)).toEqual(
      day(1),
    );
    expect(
      referenceTime(
        'unconfirmed',
        user({ mustChangePassword: true, created: day(1), passwordChanged: day(5) }),
        now,
      ),
    ).toEqual(day(5));
    expect(referenceTime('unconfirmed', user({ created: day(1) }), now)).toBeUndefined();
  });
  it('deactivated: locked, since rostersync locked it; a lock without the stamp counts from now', () => {
    expect(referenceTime('deactivated', user({ locked: true, deactivated: day(4) }), now)).toEqual(day(4));
    expect(referenceTime('deactivated', user({ locked: true }), now)).toEqual(now);
    expect(referenceTime('deactivated', user({ deactivated: day(4) }), now)).toBeUndefined();
  });
  it('expired: an end that has passed, since that end', () => {
    expect(referenceTime('expired', user({ ends: day(50) }), now)).toEqual(day(50));
    expect(referenceTime('expired', user({ ends: day(150) }), now)).toBeUndefined();
  });
});

describe('lifecycleStep without a warning', () => {
  const stale = user({ lastLogin: day(0, 10) });
  it('is a candidate the day before and ready on the day', () => {
    expect(lifecycleStep(rule(), stale, day(9, 23), ZONE)).toMatchObject({
      list: 'candidate',
      actOn: day(10),
    });
    expect(lifecycleStep(rule(), stale, day(10), ZONE)).toMatchObject({ list: 'ready', actOn: day(10) });
  });
  it('leaves a user the trigger does not match alone', () => {
    expect(lifecycleStep(rule(), user({ created: day(0) }), day(50), ZONE)).toEqual({ list: 'none' });
  });
  it('restarts the clock from a keep', () => {
    const kept = user({ lastLogin: day(0), kept: day(8, 12) });
    expect(lifecycleStep(rule(), kept, day(17, 23), ZONE)).toMatchObject({
      list: 'candidate',
      actOn: day(18),
    });
    expect(lifecycleStep(rule(), kept, day(18), ZONE)).toMatchObject({ list: 'ready' });
  });
});

describe('lifecycleStep with warning_days', () => {
  const warned = rule({ warning_days: 3 });
  const stale = user({ lastLogin: day(0, 10) });
  it('warns on reference + days − warning_days, not the day before', () => {
    expect(lifecycleStep(warned, stale, day(6, 23), ZONE)).toMatchObject({
      list: 'candidate',
      warnOn: day(7),
    });
    expect(lifecycleStep(warned, stale, day(7), ZONE)).toEqual({
      list: 'warn',
      reference: day(0, 10),
      actOn: day(10),
    });
  });
  it('acts reference + days after, once the warning is warning_days old', () => {
    const sent = user({ lastLogin: day(0, 10), warning: { at: day(7, 6), rule: 'stale' } });
    expect(lifecycleStep(warned, sent, day(9, 23), ZONE)).toMatchObject({ list: 'warned', actOn: day(10) });
    expect(lifecycleStep(warned, sent, day(10), ZONE)).toMatchObject({ list: 'ready', actOn: day(10) });
  });
  it('gives a late warning its full reaction period', () => {
    // First seen long after the warning day: warned today, acted on warning_days later.
    expect(lifecycleStep(warned, stale, day(15, 5), ZONE)).toMatchObject({ list: 'warn', actOn: day(18) });
    const late = user({ lastLogin: day(0, 10), warning: { at: day(15, 5), rule: 'stale' } });
    expect(lifecycleStep(warned, late, day(17, 23), ZONE)).toMatchObject({ list: 'warned', actOn: day(18) });
    expect(lifecycleStep(warned, late, day(18), ZONE)).toMatchObject({ list: 'ready' });
  });
  it('a login after the warning cancels it', () => {
    const loggedIn = user({ lastLogin: day(8, 9), warning: { at: day(7, 6), rule: 'stale' } });
    expect(lifecycleStep(warned, loggedIn, day(9), ZONE)).toEqual({
      list: 'cancelled',
      warnedAt: day(7, 6),
      loginAt: day(8, 9),
    });
  });
  it('another rule’s warning is not this rule’s', () => {
    const other = user({ lastLogin: day(0, 10), warning: { at: day(7, 6), rule: 'other' } });
    expect(lifecycleStep(warned, other, day(10), ZONE)).toMatchObject({ list: 'warn' });
  });
  it('an unwarnable user is kept, or acted on at reference + days with unwarnable: act', () => {
    const noMail = user({ lastLogin: day(0, 10), canBeMailed: false });
    expect(lifecycleStep(warned, noMail, day(12), ZONE)).toMatchObject({
      list: 'unwarnable',
      actOn: day(10),
    });
    const act = rule({ warning_days: 3, unwarnable: 'act' });
    expect(lifecycleStep(act, noMail, day(9, 23), ZONE)).toMatchObject({
      list: 'candidate',
      warnOn: day(10),
    });
    expect(lifecycleStep(act, noMail, day(10), ZONE)).toMatchObject({ list: 'ready', actOn: day(10) });
  });
});
