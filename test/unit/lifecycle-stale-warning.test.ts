/**
 * A warning sent before the trigger's current reference time was about an earlier episode (an end date an
 * admin has since extended, a lock since lifted, a password since reset): it does not stand for the current
 * one, so the user is warned again before any action.
 */
import { describe, expect, it } from 'vitest';
import { type LifecycleUser, lifecycleStep } from '../../src/plan/lifecycle.js';

const ZONE = 'Europe/Berlin';
/** 2026-03-10 00:00 in Berlin (CET), and whole days from it. */
const DAY0 = new Date('2026-03-09T23:00:00Z');
const day = (n: number, hours = 0): Date => new Date(DAY0.getTime() + n * 86_400_000 + hours * 3_600_000);

function user(overrides: Partial<LifecycleUser>): LifecycleUser {
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

const rule = (trigger: 'expired' | 'deactivated' | 'unconfirmed', action?: 'delete' | 'notify') => ({
  name: 'r',
  trigger,
  days: 30,
  warning_days: 7,
  unwarnable: 'keep' as const,
  ...(action ? { action } : {}),
});

describe('lifecycleStep: a warning older than the reference time', () => {
  const now = day(230, 9);
  const old = { at: day(23, 8), rule: 'r' };

  it('expired: an end date extended after the warning and passed again is warned anew, not acted on', () => {
    const extended = user({ ends: day(200, 12), warning: old });
    expect(lifecycleStep(rule('expired'), extended, now, ZONE)).toMatchObject({
      list: 'warn',
      actOn: day(237),
    });
  });

  it('deactivated: a lock lifted after the warning and set again is warned anew', () => {
    const relocked = user({ locked: true, deactivated: day(200, 12), warning: old });
    expect(lifecycleStep(rule('deactivated'), relocked, now, ZONE)).toMatchObject({ list: 'warn' });
  });

  it('unconfirmed: a password reset by an admin after the warning is warned anew', () => {
    const reset = user({ mustChangePassword: true, passwordChanged: day(200, 12), warning: old });
    expect(lifecycleStep(rule('unconfirmed'), reset, now, ZONE)).toMatchObject({ list: 'warn' });
  });

  it('notify: the mail of an earlier episode does not stand for this one', () => {
    const extended = user({ ends: day(200, 12), warning: old });
    expect(lifecycleStep(rule('expired', 'notify'), extended, now, ZONE)).toMatchObject({ list: 'warn' });
  });

  it('a warning sent after the reference time stands, as before', () => {
    const warned = user({ ends: day(200, 12), warning: { at: day(223, 8), rule: 'r' } });
    expect(lifecycleStep(rule('expired'), warned, now, ZONE)).toMatchObject({
      list: 'ready',
      actOn: day(230),
    });
    // One sent in the same second as the stamp of a found lock (reference = the run's time) stands too.
    const stamped = user({
      locked: true,
      deactivated: day(200, 12),
      warning: { at: day(200, 12), rule: 'r' },
    });
    expect(lifecycleStep(rule('deactivated'), stamped, now, ZONE)).toMatchObject({ list: 'ready' });
  });
});
