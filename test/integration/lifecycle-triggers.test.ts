/**
 * The five lifecycle triggers (SPEC §7) against a real slapd, each at both edges of its thresholds: the day
 * before the warning (or action) day the user is still a candidate and nothing is written; on the day the
 * mail goes out (or the action runs). Reference times are moved offline (pwdLastSuccess, createTimestamp,
 * pwdChangedTime) or set as an admin would (locks, end dates, warnings), always relative to the real clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_LOCK_TIME, parseGeneralizedTime, shadowExpireDays } from '../../src/dates.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import {
  addressOf,
  bindsWithInitialPassword,
  changeOwnPassword,
  dayFromToday,
  dryPlan,
  entryCsns,
  listed,
  listsOf,
  logIn,
  person,
} from '../support/lifecycle-helpers.js';

const toArray = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const mailedTo = (fx: LifecycleFixture): string[] => fx.smtp.received.flatMap((mail) => mail.to).sort();

/** Only the users in `changed` were written to since `before`. */
async function expectWrittenOnly(
  fx: LifecycleFixture,
  before: Record<string, string>,
  changed: readonly string[],
): Promise<void> {
  const after = await entryCsns(fx);
  for (const [recordUid, csn] of Object.entries(before)) {
    if (changed.includes(recordUid)) expect(after[recordUid], recordUid).not.toBe(csn);
    else expect(after[recordUid], recordUid).toBe(csn);
  }
}

describe('trigger no_login (pwdLastSuccess): warned 10 days before, locked 30 days after the last login', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-no-login', {
      config: {
        lifecycle: {
          rules: [
            { name: 'inactive', trigger: 'no_login', days: 30, warning_days: 10, action: 'deactivate' },
          ],
        },
      },
    });
    const ids = ['N-19', 'N-20', 'N-29', 'N-30', 'N-LATE'];
    await fx.writeRoster([...ids, 'N-NEVER'].map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ids);
    await fx.age({
      'N-19': { pwdLastSuccess: daysAgo(19) },
      'N-20': { pwdLastSuccess: daysAgo(20) },
      'N-29': { pwdLastSuccess: daysAgo(29) },
      'N-30': { pwdLastSuccess: daysAgo(30) },
      'N-LATE': { pwdLastSuccess: daysAgo(40) },
      'N-NEVER': { createTimestamp: daysAgo(400) },
    });
    // Warned by this rule 10 days ago: N-29's action day is tomorrow, N-30's today. N-LATE was warned late,
    // 9 days ago: its reaction period still runs until tomorrow.
    const warned = (days: number) => ({
      rostersyncWarningTimestamp: [daysAgo(days)],
      rostersyncWarningRule: ['inactive'],
    });
    await fx.setAttributes('N-29', warned(10));
    await fx.setAttributes('N-30', warned(10));
    await fx.setAttributes('N-LATE', warned(9));
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a dry run puts each user on its list, with the days, and writes nothing', async () => {
    const before = await entryCsns(fx);
    const plan = await dryPlan(fx);
    expect(listsOf(plan, 'inactive')).toEqual({
      candidates: ['N-19'],
      warn: ['N-20'],
      warned: ['N-29', 'N-LATE'],
      ready: ['N-30'],
    });
    expect(listed(plan, 'inactive', 'candidates', 'N-19').warnOn).toBe(dayFromToday(1));
    expect(listed(plan, 'inactive', 'warn', 'N-20').actOn).toBe(dayFromToday(10));
    expect(listed(plan, 'inactive', 'warned', 'N-29').actOn).toBe(dayFromToday(1));
    expect(listed(plan, 'inactive', 'warned', 'N-LATE').actOn).toBe(dayFromToday(1));
    expect(fx.smtp.received).toHaveLength(0);
    expect(await entryCsns(fx)).toEqual(before);
  });

  it('warns on the warning day, locks on the action day, and leaves the day-before users alone', async () => {
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(mailedTo(fx)).toEqual([addressOf('N-20')]);
    const warned = await fx.user('N-20');
    expect(warned?.rostersyncWarningRule).toBe('inactive');
    expect(warned?.rostersyncWarningTimestamp).toMatch(/^\d{14}Z$/);
    expect(warned?.pwdAccountLockedTime).toBeUndefined();

    const locked = await fx.user('N-30');
    expect(locked?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    expect(locked?.rostersyncDeactivatedTimestamp).toMatch(/^\d{14}Z$/);
    await expectWrittenOnly(fx, before, ['N-20', 'N-30']);
    expect(await bindsWithInitialPassword(fx, 'N-30')).toBe(false);
  });
});

describe('trigger never_logged_in (createTimestamp): deleted 10 days after creation, no warning', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-never', {
      config: { lifecycle: { rules: [{ name: 'unused', trigger: 'never_logged_in', days: 10 }] } },
    });
    await fx.writeRoster(['C-9', 'C-10', 'C-IN'].map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['C-IN']);
    await fx.age({
      'C-9': { createTimestamp: daysAgo(9) },
      'C-10': { createTimestamp: daysAgo(10) },
      // Made long ago, but has logged in: not this trigger's.
      'C-IN': { createTimestamp: daysAgo(50), pwdLastSuccess: daysAgo(40) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('lists the day-before user as a candidate and the due one as ready; a user who logged in is not matched', async () => {
    const plan = await dryPlan(fx);
    expect(listsOf(plan, 'unused')).toEqual({ candidates: ['C-9'], ready: ['C-10'] });
    expect(listed(plan, 'unused', 'candidates', 'C-9').warnOn).toBe(dayFromToday(1));
  });

  it('deletes the user on its day, sends no mail, and writes nothing else', async () => {
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(await fx.user('C-10')).toBeUndefined();
    delete before['C-10'];
    await expectWrittenOnly(fx, before, []);
    expect(fx.smtp.received).toHaveLength(0);
  });
});

describe('trigger unconfirmed (pwdReset with password.must_change): pwdChangedTime, else createTimestamp', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-unconfirmed', {
      config: {
        password: { must_change: true },
        lifecycle: {
          rules: [
            { name: 'confirm', trigger: 'unconfirmed', days: 14, warning_days: 7, action: 'deactivate' },
          ],
        },
      },
    });
    await fx.writeRoster(['U-6', 'U-7', 'U-13', 'U-14', 'U-PCT', 'U-OWN'].map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    expect((await fx.user('U-6'))?.pwdReset).toBe('TRUE');
    // U-OWN chose its own password: slapd drops pwdReset.
    await changeOwnPassword(fx, 'U-OWN', 'Mein-eigenes-Passwort-1');
    expect((await fx.user('U-OWN'))?.pwdReset).toBeUndefined();
    await fx.age({
      // No pwdChangedTime (the import's add does not make one): the reference is createTimestamp.
      'U-6': { createTimestamp: daysAgo(6) },
      'U-7': { createTimestamp: daysAgo(7) },
      'U-13': { createTimestamp: daysAgo(13) },
      'U-14': { createTimestamp: daysAgo(14) },
      // An admin set the password again 6 days ago: that, not the old createTimestamp, is the reference.
      'U-PCT': { createTimestamp: daysAgo(100), pwdChangedTime: daysAgo(6) },
      'U-OWN': { createTimestamp: daysAgo(100), pwdChangedTime: daysAgo(100) },
    });
    for (const id of ['U-13', 'U-14']) {
      await fx.setAttributes(id, {
        rostersyncWarningTimestamp: [daysAgo(7)],
        rostersyncWarningRule: ['confirm'],
      });
    }
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('lists both edges of the warning and of the action; a user who changed the password is not matched', async () => {
    const plan = await dryPlan(fx);
    expect(listsOf(plan, 'confirm')).toEqual({
      candidates: ['U-6', 'U-PCT'],
      warn: ['U-7'],
      warned: ['U-13'],
      ready: ['U-14'],
    });
    expect(listed(plan, 'confirm', 'candidates', 'U-6').warnOn).toBe(dayFromToday(1));
    expect(listed(plan, 'confirm', 'candidates', 'U-PCT').warnOn).toBe(dayFromToday(1));
    expect(listed(plan, 'confirm', 'warned', 'U-13').actOn).toBe(dayFromToday(1));
  });

  it('warns U-7, locks U-14, and writes to no one else', async () => {
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(mailedTo(fx)).toEqual([addressOf('U-7')]);
    expect((await fx.user('U-7'))?.rostersyncWarningRule).toBe('confirm');
    expect((await fx.user('U-14'))?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    await expectWrittenOnly(fx, before, ['U-7', 'U-14']);
  });
});

describe('trigger deactivated (pwdAccountLockedTime): a lock found by hand is stamped, then counted from', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-deactivated', {
      config: { lifecycle: { rules: [{ name: 'locked-long', trigger: 'deactivated', days: 30 }] } },
    });
    await fx.writeRoster(['D-LOCK', 'D-OPEN'].map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    // An admin locks D-LOCK by hand: no rostersyncDeactivatedTimestamp.
    await fx.setAttributes('D-LOCK', { pwdAccountLockedTime: [ADMIN_LOCK_TIME] });
    // And a user of another source, locked as well.
    await fx.tree.client.add(`uid=o.locked,ou=people,ou=gym1,${fx.tree.baseDn}`, {
      objectClass: ['inetOrgPerson', 'rostersyncUser'],
      uid: 'o.locked',
      cn: 'O Locked',
      sn: 'Locked',
      rostersyncSourceUid: 'office',
      rostersyncRecordUid: 'O-LOCK',
      rostersyncRole: 'student:school:gym1',
      rostersyncSchool: 'gym1',
      pwdAccountLockedTime: ADMIN_LOCK_TIME,
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('the first run stamps the lock with its time and the found mark, and acts not yet', async () => {
    const plan = await dryPlan(fx);
    expect(listsOf(plan, 'locked-long')).toEqual({ candidates: ['D-LOCK'] });
    expect(listed(plan, 'locked-long', 'candidates', 'D-LOCK').warnOn).toBe(dayFromToday(30));

    const before = await entryCsns(fx);
    const started = Date.now();
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    const locked = await fx.user('D-LOCK');
    expect(locked?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    expect(locked?.rostersyncLockFound).toBe('TRUE');
    const stamp = String(locked?.rostersyncDeactivatedTimestamp);
    expect(stamp).toMatch(/^\d{14}Z$/);
    const stampedAt = parseGeneralizedTime(stamp).getTime();
    expect(Math.abs(stampedAt - started)).toBeLessThan(60_000);
    await expectWrittenOnly(fx, before, ['D-LOCK']);
    const other = await fx.user('O-LOCK');
    expect(other?.rostersyncDeactivatedTimestamp).toBeUndefined();
    expect(other?.rostersyncLockFound).toBeUndefined();
  });

  it('the day before the action day (stamp 29 days old) nothing is written', async () => {
    await fx.setAttributes('D-LOCK', { rostersyncDeactivatedTimestamp: [daysAgo(29)] });
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(await entryCsns(fx)).toEqual(before);
    expect(listed(await dryPlan(fx), 'locked-long', 'candidates', 'D-LOCK').warnOn).toBe(dayFromToday(1));
  });

  it('on the action day (stamp 30 days old) the user is deleted; the others stay', async () => {
    await fx.setAttributes('D-LOCK', { rostersyncDeactivatedTimestamp: [daysAgo(30)] });
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(await fx.user('D-LOCK')).toBeUndefined();
    delete before['D-LOCK'];
    await expectWrittenOnly(fx, before, []);
    expect(await fx.user('O-LOCK')).toBeDefined();
  });
});

describe('trigger expired (pwdEndTime, else shadowExpire of a posix user): warned 5 days before, deleted 10 after the end', () => {
  let fx: LifecycleFixture;
  /** shadowExpire of the calendar day `days` days before today (days since 1970-01-01). */
  /** shadowExpire of the calendar day `days` days before today (days since 1970-01-01). */
  const shadowDaysAgo = (days: number): string =>
    String(shadowExpireDays(parseGeneralizedTime(daysAgo(days))));
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-expired', {
      config: {
        ldap: { posix: true },
        lifecycle: { rules: [{ name: 'ended', trigger: 'expired', days: 10, warning_days: 5 }] },
      },
    });
    const ids = ['E-4', 'E-5', 'E-9', 'E-10', 'E-SOON', 'X-4', 'X-5', 'X-10', 'X-SOON'];
    await fx.writeRoster([...ids, 'X-LEFT'].map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    // X-LEFT leaves the roster: the import locks it at once (grace 0/30), on a posix user with shadowExpire 1.
    await fx.writeRoster(ids.map((id) => person(id)));
    expect((await fx.runImport()).code).toBe(0);
    expect((await fx.user('X-LEFT'))?.shadowExpire).toBe('1');
    const end = (days: number) => ({ pwdEndTime: [daysAgo(days)] });
    const shadow = (days: number) => ({ shadowExpire: [shadowDaysAgo(days)] });
    const warned = { rostersyncWarningTimestamp: [daysAgo(5)], rostersyncWarningRule: ['ended'] };
    await fx.setAttributes('E-4', end(4));
    await fx.setAttributes('E-5', end(5));
    await fx.setAttributes('E-9', { ...end(9), ...warned });
    await fx.setAttributes('E-10', { ...end(10), ...warned });
    await fx.setAttributes('E-SOON', end(-5));
    await fx.setAttributes('X-4', shadow(4));
    await fx.setAttributes('X-5', shadow(5));
    await fx.setAttributes('X-10', { ...shadow(10), ...warned });
    await fx.setAttributes('X-SOON', shadow(-3));
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('lists both edges for pwdEndTime and shadowExpire; an end still to come, or a lock, is no candidate', async () => {
    const plan = await dryPlan(fx);
    expect(listsOf(plan, 'ended')).toEqual({
      candidates: ['E-4', 'X-4'],
      warn: ['E-5', 'X-5'],
      warned: ['E-9'],
      ready: ['E-10', 'X-10'],
    });
    for (const id of ['E-4', 'X-4']) {
      expect(listed(plan, 'ended', 'candidates', id).warnOn).toBe(dayFromToday(1));
    }
    expect(listed(plan, 'ended', 'warned', 'E-9').actOn).toBe(dayFromToday(1));
  });

  it('warns on the day, deletes on the day, and leaves every group without a value naming the deleted', async () => {
    const deleted = [String((await fx.user('E-10'))?.dn), String((await fx.user('X-10'))?.dn)];
    const deletedUids = [String((await fx.user('E-10'))?.uid), String((await fx.user('X-10'))?.uid)];
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(mailedTo(fx)).toEqual([addressOf('E-5'), addressOf('X-5')]);
    expect(await fx.user('E-10')).toBeUndefined();
    expect(await fx.user('X-10')).toBeUndefined();
    delete before['E-10'];
    delete before['X-10'];
    await expectWrittenOnly(fx, before, ['E-5', 'X-5']);
    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(objectClass=posixGroup)',
      attributes: ['member', 'memberUid'],
    });
    expect(searchEntries.length).toBeGreaterThan(0);
    for (const group of searchEntries) {
      const members = toArray(group.member as string[]).map((dn) => dn.toLowerCase());
      for (const dn of deleted) expect(members).not.toContain(dn.toLowerCase());
      for (const uid of deletedUids) expect(toArray(group.memberUid as string[])).not.toContain(uid);
    }
  });
});
