/**
 * What a lifecycle rule does on its day (SPEC §7), asserted on the directory and the SMTP sink: `deactivate`
 * locks (and an import of the same roster keeps the lock), `delete` goes the purge's way (groups cleaned,
 * username reserved; `purge.mode: move` locks and moves instead), `notify` is one mail and nothing else, and
 * a user without an address is kept (`unwarnable: keep`) or acted on when due (`unwarnable: act`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_LOCK_TIME } from '../../src/dates.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import {
  addressOf,
  bindsWithInitialPassword,
  dryPlan,
  entryCsns,
  listsOf,
  logIn,
  person,
} from '../support/lifecycle-helpers.js';

const toArray = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every `member` value of every group under the base DN, lower-case. */
async function memberValues(fx: LifecycleFixture): Promise<string[]> {
  return (await fx.groups()).flatMap((group) => toArray(group.member).map((dn) => dn.toLowerCase()));
}

describe('actions deactivate and delete', () => {
  let fx: LifecycleFixture;
  let calls: string;
  /** The subclass's calls so far, one `method username` a line. */
  const callsMade = async (): Promise<string[]> =>
    (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const roster = [person('S-1'), person('S-2'), person('S-3'), person('T-1', 'teacher')];
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-remove', {
      config: {
        lifecycle: {
          rules: [
            { name: 'drop-students', trigger: 'no_login', days: 30, roles: ['student'] },
            {
              name: 'lock-teachers',
              trigger: 'no_login',
              days: 30,
              roles: ['teacher'],
              action: 'deactivate',
            },
          ],
        },
      },
    });
    // A subclass that writes down each doDelete and deactivateNow, then does what the base class does.
    calls = join(fx.dir, 'calls.txt');
    const module = join(fx.dir, 'recording-user-import.mjs');
    await writeFile(
      module,
      `import { appendFile } from 'node:fs/promises';
export default (Base) => class extends Base {
  async doDelete(user, ctx) { await appendFile(${JSON.stringify(calls)}, 'doDelete ' + user.username + '\\n'); return super.doDelete(user, ctx); }
  async deactivateNow(user, ctx) { await appendFile(${JSON.stringify(calls)}, 'deactivateNow ' + user.username + '\\n'); return super.deactivateNow(user, ctx); }
};
`,
    );
    await fx.editConfig({ classes: { user_import: module } });
    await fx.writeRoster(roster);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2', 'S-3', 'T-1']);
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(30) },
      'S-2': { pwdLastSuccess: daysAgo(1) },
      'S-3': { pwdLastSuccess: daysAgo(60) },
      'T-1': { pwdLastSuccess: daysAgo(30) },
    });
    // S-3 is due too, but an admin kept it today: its clock restarted.
    await fx.setAttributes('S-3', { rostersyncKeptTimestamp: [daysAgo(0)] });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('deactivate locks the user (bind refused, lock and stamp set), and the next import keeps the lock', async () => {
    const before = await entryCsns(fx);
    const result = await fx.lifecycle(['--rule', 'lock-teachers']);
    expect(result.code, result.stderr).toBe(0);
    const teacher = await fx.user('T-1');
    expect(teacher?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    expect(teacher?.rostersyncDeactivatedTimestamp).toMatch(/^\d{14}Z$/);
    // rostersync's own lock, set by deactivateNow: not marked as one it found.
    expect(teacher?.rostersyncLockFound).toBeUndefined();
    expect(await callsMade()).toEqual([`deactivateNow ${String(teacher?.uid)}`]);
    expect(await fx.user('S-1')).toBeDefined();
    const after = await entryCsns(fx);
    expect({ ...after, 'T-1': before['T-1'] }).toEqual(before);
    expect(await bindsWithInitialPassword(fx, 'T-1')).toBe(false);

    // T-1 is still in the roster: the import of the very same file does not lift the lifecycle's lock.
    await fx.writeRoster(roster);
    const imported = await fx.runImport();
    expect(imported.code, imported.stderr).toBe(0);
    const still = await fx.user('T-1');
    expect(still?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    expect(still?.rostersyncDeactivatedTimestamp).toBe(teacher?.rostersyncDeactivatedTimestamp);
    expect(await bindsWithInitialPassword(fx, 'T-1')).toBe(false);
  });

  it('delete removes the entry, its group memberships, and keeps its username reserved', async () => {
    const gone = await fx.user('S-1');
    const before = await entryCsns(fx);
    expect(await memberValues(fx)).toContain(String(gone?.dn).toLowerCase());
    const result = await fx.lifecycle(['--rule', 'drop-students']);
    expect(result.code, result.stderr).toBe(0);
    expect(await fx.user('S-1')).toBeUndefined();
    expect((await callsMade()).slice(1)).toEqual([`doDelete ${String(gone?.uid)}`]);
    const members = await memberValues(fx);
    expect(members).not.toContain(String(gone?.dn).toLowerCase());
    // The class group is still there, with the others.
    expect(members).toContain(String((await fx.user('S-2'))?.dn).toLowerCase());
    const reserved = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: `(&(objectClass=account)(uid=${String(gone?.uid)}))`,
      attributes: ['uid'],
    });
    expect(reserved.searchEntries.map((entry) => entry.dn.toLowerCase())).toEqual([
      `uid=${String(gone?.uid)},ou=rostersync-reserved-usernames,${fx.tree.baseDn}`.toLowerCase(),
    ]);
    // The kept S-3, the fresh S-2 and the teacher (not in the rule's roles) are untouched.
    const after = await entryCsns(fx);
    delete before['S-1'];
    expect(after).toEqual(before);
  });

  it('with purge.mode: move, delete locks the user and moves it out instead', async () => {
    const moveTo = `ou=removed,${fx.tree.baseDn}`;
    await fx.editConfig({ purge: { mode: 'move', move_to_dn: moveTo } });
    await fx.setAttributes('S-3', { rostersyncKeptTimestamp: [] });
    const old = await fx.user('S-3');
    const before = await entryCsns(fx);
    const result = await fx.lifecycle(['--rule', 'drop-students']);
    expect(result.code, result.stderr).toBe(0);
    const moved = await fx.user('S-3');
    expect(String(moved?.dn).toLowerCase()).toBe(`uid=${String(old?.uid)},${moveTo}`.toLowerCase());
    expect(moved?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
    expect(moved?.rostersyncDeactivatedTimestamp).toMatch(/^\d{14}Z$/);
    expect((await callsMade()).at(-1)).toBe(`doDelete ${String(old?.uid)}`);
    const members = await memberValues(fx);
    expect(members).not.toContain(String(old?.dn).toLowerCase());
    expect(members).not.toContain(String(moved?.dn).toLowerCase());
    expect({ ...(await entryCsns(fx)), 'S-3': before['S-3'] }).toEqual(before);
    expect(await bindsWithInitialPassword(fx, 'S-3')).toBe(false);

    // Moved out of the source's scope: the next run leaves it alone.
    const csn = (await fx.user('S-3'))?.entryCSN;
    const again = await fx.lifecycle(['--rule', 'drop-students']);
    expect(again.code, again.stderr).toBe(0);
    expect((await fx.user('S-3'))?.entryCSN).toBe(csn);
  });
});

describe('action notify, and users without an address', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-mail', {
      config: {
        lifecycle: {
          rules: [
            {
              name: 'notice',
              trigger: 'no_login',
              days: 30,
              warning_days: 5,
              action: 'notify',
              roles: ['teacher'],
            },
            {
              name: 'keep-unwarnable',
              trigger: 'never_logged_in',
              days: 10,
              warning_days: 5,
              roles: ['student'],
            },
            {
              name: 'act-unwarnable',
              trigger: 'never_logged_in',
              days: 10,
              warning_days: 5,
              roles: ['staff'],
              unwarnable: 'act',
            },
          ],
        },
      },
    });
    await fx.writeRoster([
      person('T-1', 'teacher'),
      person('T-2', 'teacher'),
      person('S-K', 'student', { email: null }),
      person('F-A', 'staff', { email: null }),
      person('F-B', 'staff', { email: null }),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['T-1', 'T-2']);
    await fx.age({
      'T-1': { pwdLastSuccess: daysAgo(25) },
      'T-2': { pwdLastSuccess: daysAgo(24) },
      'S-K': { createTimestamp: daysAgo(10) },
      'F-A': { createTimestamp: daysAgo(10) },
      'F-B': { createTimestamp: daysAgo(9) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('notify sends one mail on its day and records it; later runs send nothing and delete nothing', async () => {
    expect(listsOf(await dryPlan(fx, ['--rule', 'notice']), 'notice')).toEqual({
      candidates: ['T-2'],
      warn: ['T-1'],
    });
    const before = await entryCsns(fx);
    const result = await fx.lifecycle(['--rule', 'notice']);
    expect(result.code, result.stderr).toBe(0);
    expect(fx.smtp.received.map((mail) => mail.to)).toEqual([[addressOf('T-1')]]);
    const teacher = await fx.user('T-1');
    expect(fx.smtp.received[0]?.subject).toContain(String(teacher?.uid));
    expect(teacher?.rostersyncWarningRule).toBe('notice');
    expect(teacher?.rostersyncWarningTimestamp).toMatch(/^\d{14}Z$/);
    expect({ ...(await entryCsns(fx)), 'T-1': before['T-1'] }).toEqual(before);

    const once = await entryCsns(fx);
    const again = await fx.lifecycle(['--rule', 'notice']);
    expect(again.code, again.stderr).toBe(0);
    expect(fx.smtp.received).toHaveLength(1);
    expect(await entryCsns(fx)).toEqual(once);

    // Long past the day the mail named (last login 60 days ago, warned on its day 35 days ago): the user
    // stays warned, is neither mailed again nor removed.
    await fx.age({ 'T-1': { pwdLastSuccess: daysAgo(60) } });
    await fx.setAttributes('T-1', { rostersyncWarningTimestamp: [daysAgo(35)] });
    const later = await entryCsns(fx);
    const late = await fx.lifecycle(['--rule', 'notice']);
    expect(late.code, late.stderr).toBe(0);
    expect(fx.smtp.received).toHaveLength(1);
    expect(await entryCsns(fx)).toEqual(later);
    expect(listsOf(await dryPlan(fx, ['--rule', 'notice']), 'notice')).toEqual({
      candidates: ['T-2'],
      warned: ['T-1'],
    });
  });

  it('unwarnable: keep lists the user, names it on stderr, and never acts on it', async () => {
    expect(listsOf(await dryPlan(fx, ['--rule', 'keep-unwarnable']), 'keep-unwarnable')).toEqual({
      unwarnable: ['S-K'],
    });
    const username = String((await fx.user('S-K'))?.uid);
    const before = await entryCsns(fx);
    const mails = fx.smtp.received.length;
    for (let run = 0; run < 2; run += 1) {
      const result = await fx.lifecycle(['--rule', 'keep-unwarnable']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`${username} cannot be warned`);
    }
    expect(await entryCsns(fx)).toEqual(before);
    expect(fx.smtp.received).toHaveLength(mails);
  });

  it('unwarnable: act acts on the user when its day has come, not the day before', async () => {
    expect(listsOf(await dryPlan(fx, ['--rule', 'act-unwarnable']), 'act-unwarnable')).toEqual({
      candidates: ['F-B'],
      ready: ['F-A'],
    });
    const before = await entryCsns(fx);
    const mails = fx.smtp.received.length;
    const result = await fx.lifecycle(['--rule', 'act-unwarnable']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('cannot be warned');
    expect(await fx.user('F-A')).toBeUndefined();
    delete before['F-A'];
    expect(await entryCsns(fx)).toEqual(before);
    expect(fx.smtp.received).toHaveLength(mails);
  });
});
