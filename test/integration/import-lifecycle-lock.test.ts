/**
 * The import never lifts a lock it did not set (SPEC §4.5), now that the lifecycle rules lock users and
 * stamp the locks they find (SPEC §7): a lifecycle lock on a user still in the roster stays, and a lock
 * an admin set that a lifecycle run stamped (`rostersyncLockFound`) stays through missing and coming back.
 * rostersync's own lock from the grace period is still lifted (import-reactivation.test.ts).
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import type { Modification } from '../../src/directory/index.js';
import { stampFoundLockChanges } from '../../src/plan/deactivation.js';
import type { ReactivateAction } from '../../src/plan/types.js';
import {
  bindsWithInitialPassword,
  importExpecting,
  mustUser,
  one,
  planOf,
} from '../support/grace-helpers.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const s1: RosterRow = { id: 'S-1', first: 'Paula', last: 'Becker', schools: 'gym1', role: 'student' };
const l1: RosterRow = { id: 'L-1', first: 'Anna', last: 'Schmidt', schools: 'gym1', role: 'teacher' };

const ADMIN_LOCK = '000001010000Z';
/** When the lifecycle locked or stamped: any time, the server does not compare it. */
const STAMP = '20260301060000Z';

const names = attributeNames(parseConfig({ source_uid: 'sis-test', ldap: { base_dn: 'dc=x' } }, 'test'));

/** Writes changes with the admin connection, as another rostersync run (or an admin) would. */
async function write(fx: ImportFixture, dn: string, changes: Modification[]): Promise<void> {
  await fx.tree.client.modify(
    dn,
    changes.map(
      ({ operation, attribute, values }) =>
        new Change({ operation, modification: new Attribute({ type: attribute, values }) }),
    ),
  );
}

function reactivations(stdout: string): ReactivateAction[] {
  return planOf(stdout).actions.filter((action): action is ReactivateAction => action.kind === 'reactivate');
}

describe('a lifecycle lock on a user still in the roster', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('lifecycle-lock-present');
    await fx.writeRoster([s1, l1]);
    await importExpecting(fx, 0, ['--now', '2026-03-01']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('stays through the next import: no reactivation, lock and stamp in place, the bind refused', async () => {
    const student = await mustUser(fx, 'S-1');
    const dn = one(student, 'dn') ?? '';
    // What a lifecycle `deactivate` writes: rostersync's lock and its stamp, no grace marks.
    await write(fx, dn, [
      { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK] },
      { operation: 'replace', attribute: 'rostersyncDeactivatedTimestamp', values: [STAMP] },
    ]);
    expect(await bindsWithInitialPassword(fx, student)).toBe(false);

    const dry = await fx.runImport(['--now', '2026-03-02', '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(reactivations(dry.stdout)).toEqual([]);

    await importExpecting(fx, 0, ['--now', '2026-03-02']);
    const after = await mustUser(fx, 'S-1');
    expect(one(after, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
    expect(one(after, 'rostersyncDeactivatedTimestamp')).toBe(STAMP);
    expect(after.rostersyncMissingSince).toBeUndefined();
    expect(await bindsWithInitialPassword(fx, after)).toBe(false);
  });
});

for (const grace of [
  { deactivation: 0, deletion: 30 },
  { deactivation: 7, deletion: 30 },
]) {
  describe(`a lock set by hand and stamped by a lifecycle run, grace ${grace.deactivation}/${grace.deletion}`, () => {
    let fx: ImportFixture;
    beforeAll(async () => {
      fx = await importFixture(`lifecycle-lock-found-${grace.deactivation}`, {
        config: { deletion_grace_period: grace },
      });
      await fx.writeRoster([s1, l1]);
      await importExpecting(fx, 0, ['--now', '2026-03-01']);
    });
    afterAll(async () => {
      await fx.dispose();
    });

    it('stays, with its stamp and mark, when the user goes missing and comes back, and is reported', async () => {
      const teacher = await mustUser(fx, 'L-1');
      const dn = one(teacher, 'dn') ?? '';
      const uid = one(teacher, 'uid') ?? '?';
      await write(fx, dn, [{ operation: 'add', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK] }]);
      await write(fx, dn, stampFoundLockChanges(new Date('2026-03-01T06:00:00Z'), names));
      const stamped = await mustUser(fx, 'L-1');
      expect(one(stamped, 'rostersyncDeactivatedTimestamp')).toBe(STAMP);
      expect(one(stamped, 'rostersyncLockFound')).toBe('TRUE');

      // Missing: the grace period marks it, and leaves the admin's lock, the stamp and the mark alone.
      await fx.writeRoster([s1]);
      await importExpecting(fx, 0, ['--now', '2026-03-02']);
      const missing = await mustUser(fx, 'L-1');
      expect(missing.rostersyncMissingSince).toBeDefined();
      expect(missing.rostersyncPurgeTimestamp).toBeDefined();
      expect(missing.pwdEndTime).toBeUndefined();
      expect(one(missing, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
      expect(one(missing, 'rostersyncDeactivatedTimestamp')).toBe(STAMP);
      expect(one(missing, 'rostersyncLockFound')).toBe('TRUE');

      // Back: reactivated, but the lock is the admin's.
      await fx.writeRoster([s1, l1]);
      const dry = await fx.runImport(['--now', '2026-03-03', '--dry-run', '--format', 'json']);
      expect(dry.code, dry.stderr).toBe(0);
      const planned = reactivations(dry.stdout).find((action) => action.recordUid === 'L-1');
      expect(planned?.keptByAdmin).toEqual([`pwdAccountLockedTime=${ADMIN_LOCK}`]);
      expect(planned?.changes.map((change) => change.attribute)).toEqual([
        'rostersyncMissingSince',
        'rostersyncPurgeTimestamp',
      ]);

      const run = await fx.runImport(['--now', '2026-03-03']);
      expect(run.code, run.stderr).toBe(0);
      const back = await mustUser(fx, 'L-1');
      expect(one(back, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
      expect(one(back, 'rostersyncDeactivatedTimestamp')).toBe(STAMP);
      expect(one(back, 'rostersyncLockFound')).toBe('TRUE');
      expect(back.rostersyncMissingSince).toBeUndefined();
      expect(back.rostersyncPurgeTimestamp).toBeUndefined();
      expect(await bindsWithInitialPassword(fx, back)).toBe(false);
      // The unattended run reports what it kept in its log.
      const reported = run.stderr
        .split('\n')
        .filter((line) => line.includes('pwdAccountLockedTime') && line.includes(uid));
      expect(reported, run.stderr).not.toEqual([]);
    });
  });
}

describe('a lifecycle stamp whose lock was lifted by hand', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('lifecycle-lock-lifted');
    await fx.writeRoster([s1, l1]);
    await importExpecting(fx, 0, ['--now', '2026-03-01']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('does not pass for a deactivation: the user missing from the roster is locked (grace 0/30)', async () => {
    const student = await mustUser(fx, 'S-1');
    const dn = one(student, 'dn') ?? '';
    // A lifecycle lock an admin lifted again by hand, leaving rostersync's stamp behind.
    await write(fx, dn, [
      { operation: 'replace', attribute: 'rostersyncDeactivatedTimestamp', values: [STAMP] },
    ]);
    expect(await bindsWithInitialPassword(fx, student)).toBe(true);

    await fx.writeRoster([l1]);
    await importExpecting(fx, 0, ['--now', '2026-03-02T06:00:00Z']);
    const missing = await mustUser(fx, 'S-1');
    expect(one(missing, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
    expect(one(missing, 'rostersyncDeactivatedTimestamp')).toBe('20260302060000Z');
    expect(await bindsWithInitialPassword(fx, missing)).toBe(false);
  });
});
