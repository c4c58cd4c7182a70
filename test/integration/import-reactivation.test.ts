/**
 * Reactivation (SPEC §4.5): a user rostersync deactivated who is back in the roster gets the same entry
 * back, unlocked, with its class groups; a lock or end date an admin set by hand stays and is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import {
  adminModify,
  bindsWithInitialPassword,
  groupMembers,
  importExpecting,
  mustUser,
  one,
  planOf,
} from '../support/grace-helpers.js';
import type { ReactivateAction } from '../../src/plan/types.js';

const s1: RosterRow = {
  id: 'S-1',
  first: 'Paula',
  last: 'Becker',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const s2: RosterRow = {
  id: 'S-2',
  first: 'Max',
  last: 'Weber',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const l1: RosterRow = {
  id: 'L-1',
  first: 'Anna',
  last: 'Schmidt',
  schools: 'gym1',
  role: 'teacher',
  classes: '5a',
};
const l2: RosterRow = {
  id: 'L-2',
  first: 'Jonas',
  last: 'Klein',
  schools: 'rs2',
  role: 'teacher',
  classes: '7b',
};

/** Everything rostersync's grace period may have set on an entry. */
const GRACE_ATTRIBUTES = [
  'pwdAccountLockedTime',
  'pwdEndTime',
  'rostersyncPurgeTimestamp',
  'rostersyncMissingSince',
  'rostersyncDeactivatedTimestamp',
];

function reactivations(stdout: string): ReactivateAction[] {
  return planOf(stdout).actions.filter((action): action is ReactivateAction => action.kind === 'reactivate');
}

for (const grace of [
  { deactivation: 0, deletion: 30, marker: 'pwdAccountLockedTime' },
  { deactivation: 7, deletion: 30, marker: 'pwdEndTime' },
]) {
  describe(`reactivation after deactivation ${grace.deactivation}/deletion ${grace.deletion}`, () => {
    let fx: ImportFixture;
    beforeAll(async () => {
      fx = await importFixture(`reactivate-${grace.deactivation}-${grace.deletion}`, {
        config: { deletion_grace_period: { deactivation: grace.deactivation, deletion: grace.deletion } },
      });
      await fx.writeRoster([s1, s2, l1, l2]);
      await importExpecting(fx, 0, ['--now', '2026-11-23']);
    });
    afterAll(async () => {
      await fx.dispose();
    });

    it('brings the same entry back: unlocked, no grace marks, same DN and entryUUID, class group restored', async () => {
      const original = await mustUser(fx, 'S-1');
      const dn = one(original, 'dn') ?? '';
      expect(await groupMembers(fx, 'gym1-5a')).toContain(dn.toLowerCase());

      // Missing: deactivated, out of the class group.
      await fx.writeRoster([s2, l1, l2]);
      // In the past, so that the end date of 7/30 has passed by the server's clock as well.
      await importExpecting(fx, 0, ['--now', '2020-01-01']);
      const missing = await mustUser(fx, 'S-1');
      expect(missing[grace.marker]).toBeDefined();
      expect(missing.rostersyncPurgeTimestamp).toBeDefined();
      expect(missing.rostersyncMissingSince).toBeDefined();
      expect(missing.rostersyncDeactivatedTimestamp).toBeDefined();
      expect(await bindsWithInitialPassword(fx, missing)).toBe(false);
      expect(await groupMembers(fx, 'gym1-5a')).not.toContain(dn.toLowerCase());

      // Back in the roster.
      await fx.writeRoster([s1, s2, l1, l2]);
      const dry = await fx.runImport(['--now', '2020-01-04', '--dry-run', '--format', 'json']);
      expect(dry.code).toBe(0);
      const planned = reactivations(dry.stdout);
      expect(planned.map((action) => action.recordUid)).toEqual(['S-1']);
      expect(planned[0]?.keptByAdmin).toEqual([]);

      await importExpecting(fx, 0, ['--now', '2020-01-04']);
      const back = await mustUser(fx, 'S-1');
      for (const attribute of GRACE_ATTRIBUTES) expect(back[attribute], attribute).toBeUndefined();
      expect(one(back, 'dn')).toBe(dn);
      expect(one(back, 'entryUUID')).toBe(one(original, 'entryUUID'));
      expect(await bindsWithInitialPassword(fx, back)).toBe(true);
      expect(await groupMembers(fx, 'gym1-5a')).toContain(dn.toLowerCase());
    });

    it('leaves a lock an admin set by hand in place and reports it in the plan and the log', async () => {
      const teacher = await mustUser(fx, 'L-1');
      const dn = one(teacher, 'dn') ?? '';
      await adminModify(fx, dn, 'add', 'pwdAccountLockedTime', ['000001010000Z']);
      expect(await bindsWithInitialPassword(fx, teacher)).toBe(false);

      await fx.writeRoster([s1, s2, l2]);
      await importExpecting(fx, 0, ['--now', '2020-02-01']);
      const missing = await mustUser(fx, 'L-1');
      expect(missing.rostersyncMissingSince).toBeDefined();
      expect(one(missing, 'pwdAccountLockedTime')).toBe('000001010000Z');

      await fx.writeRoster([s1, s2, l1, l2]);
      const dry = await fx.runImport(['--now', '2020-02-03', '--dry-run', '--format', 'json']);
      expect(dry.code).toBe(0);
      const planned = reactivations(dry.stdout).find((action) => action.recordUid === 'L-1');
      expect(planned?.keptByAdmin).toEqual(['pwdAccountLockedTime=000001010000Z']);
      expect(planned?.changes.map((change) => change.attribute)).not.toContain('pwdAccountLockedTime');

      const run = await fx.runImport(['--now', '2020-02-03']);
      expect(run.code).toBe(0);
      const back = await mustUser(fx, 'L-1');
      expect(one(back, 'pwdAccountLockedTime')).toBe('000001010000Z');
      expect(back.rostersyncMissingSince).toBeUndefined();
      expect(back.rostersyncPurgeTimestamp).toBeUndefined();
      expect(await bindsWithInitialPassword(fx, back)).toBe(false);
      expect(await groupMembers(fx, 'gym1-5a')).toContain(dn.toLowerCase());
      // The real run reports it too (an unattended run has no plan output, only its log).
      const reported = run.stderr
        .split('\n')
        .filter((line) => line.includes('pwdAccountLockedTime') && line.includes(one(teacher, 'uid') ?? '?'));
      expect(reported, run.stderr).not.toEqual([]);
    });

    it('leaves an end date an admin set by hand in place and reports it in the plan', async () => {
      const teacher = await mustUser(fx, 'L-2');
      const dn = one(teacher, 'dn') ?? '';
      await adminModify(fx, dn, 'add', 'pwdEndTime', ['20191231230000Z']);
      expect(await bindsWithInitialPassword(fx, teacher)).toBe(false);

      await fx.writeRoster([s1, s2, l1]);
      await importExpecting(fx, 0, ['--now', '2020-03-01']);
      const missing = await mustUser(fx, 'L-2');
      expect(missing.rostersyncMissingSince).toBeDefined();
      expect(one(missing, 'pwdEndTime')).toBe('20191231230000Z');

      await fx.writeRoster([s1, s2, l1, l2]);
      const dry = await fx.runImport(['--now', '2020-03-02', '--dry-run', '--format', 'json']);
      expect(dry.code).toBe(0);
      const planned = reactivations(dry.stdout).find((action) => action.recordUid === 'L-2');
      expect(planned?.keptByAdmin).toContain('pwdEndTime=20191231230000Z');

      await importExpecting(fx, 0, ['--now', '2020-03-02']);
      const back = await mustUser(fx, 'L-2');
      expect(one(back, 'pwdEndTime')).toBe('20191231230000Z');
      expect(back.rostersyncMissingSince).toBeUndefined();
      expect(back.rostersyncPurgeTimestamp).toBeUndefined();
      expect(await bindsWithInitialPassword(fx, back)).toBe(false);
    });

    it('keeps an end date an admin added to a user rostersync had deactivated, and lifts only its own mark', async () => {
      const student = await mustUser(fx, 'S-2');
      const dn = one(student, 'dn') ?? '';
      await fx.writeRoster([s1, l1, l2]);
      await importExpecting(fx, 0, ['--now', '2020-04-01']);
      // Rostersync's own mark is there; the admin adds the other one by hand.
      const missing = await mustUser(fx, 'S-2');
      expect(missing[grace.marker]).toBeDefined();
      const byHand = grace.marker === 'pwdEndTime' ? 'pwdAccountLockedTime' : 'pwdEndTime';
      const handValue = byHand === 'pwdEndTime' ? '20191231230000Z' : '000001010000Z';
      await adminModify(fx, dn, 'add', byHand, [handValue]);

      await fx.writeRoster([s1, s2, l1, l2]);
      const dry = await fx.runImport(['--now', '2020-04-02', '--dry-run', '--format', 'json']);
      const planned = reactivations(dry.stdout).find((action) => action.recordUid === 'S-2');
      expect(planned?.keptByAdmin).toEqual([`${byHand}=${handValue}`]);

      await importExpecting(fx, 0, ['--now', '2020-04-02']);
      const back = await mustUser(fx, 'S-2');
      expect(back[grace.marker]).toBeUndefined();
      expect(one(back, byHand)).toBe(handValue);
      expect(back.rostersyncDeactivatedTimestamp).toBeUndefined();
      expect(back.rostersyncMissingSince).toBeUndefined();
      expect(await bindsWithInitialPassword(fx, back)).toBe(false);
    });
  });
}

describe('reactivation after 0 < deletion <= deactivation (7/14)', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('reactivate-7-14', {
      config: { deletion_grace_period: { deactivation: 14, deletion: 7 } },
    });
    await fx.writeRoster([s1, s2]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('removes the purge timestamp and MissingSince and restores the class group', async () => {
    const original = await mustUser(fx, 'S-1');
    const dn = one(original, 'dn') ?? '';
    await fx.writeRoster([s2]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
    const missing = await mustUser(fx, 'S-1');
    expect(one(missing, 'rostersyncPurgeTimestamp')).toBe('20261129230000Z');
    expect(await groupMembers(fx, 'gym1-5a')).not.toContain(dn.toLowerCase());

    await fx.writeRoster([s1, s2]);
    await importExpecting(fx, 0, ['--now', '2026-11-25']);
    const back = await mustUser(fx, 'S-1');
    for (const attribute of GRACE_ATTRIBUTES) expect(back[attribute], attribute).toBeUndefined();
    expect(one(back, 'entryUUID')).toBe(one(original, 'entryUUID'));
    expect(await bindsWithInitialPassword(fx, back)).toBe(true);
    expect(await groupMembers(fx, 'gym1-5a')).toContain(dn.toLowerCase());
  });
});
