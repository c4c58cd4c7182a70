/**
 * A lock is rostersync's to lift only when rostersync set it (SPEC §4.5). The lifecycle stamps every lock
 * it finds with `rostersyncDeactivatedTimestamp` (SPEC §7), and locks users itself: so the stamp alone
 * does not mean "missing from the roster", and a lock marked `rostersyncLockFound` stays an admin's.
 */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { ADMIN_LOCK_TIME } from '../../src/dates.js';
import {
  expireLaterChanges,
  isMarkedMissing,
  lockNowChanges,
  reactivation,
  stampFoundLockChanges,
} from '../../src/plan/deactivation.js';
import { graceDecision } from '../../src/plan/grace.js';
import { directoryUser } from '../support/directory-user.js';

const names = attributeNames(
  parseConfig({ source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' } }, 'test'),
);
const ZONE = 'Europe/Berlin';
const NOW = new Date('2026-11-23T06:00:00Z');
const STAMP = '20261001060000Z';

/** Locked by hand, then stamped by a lifecycle run. */
const foundLock = { lockedTime: ADMIN_LOCK_TIME, deactivatedTimestamp: STAMP, lockFound: true };
/** Missing from an earlier import (grace 0/30 on a user that was locked already). */
const markedMissing = { missingSince: '20261101060000Z', purgeTimestamp: '20261130230000Z' };

const attributesOf = (changes: { operation: string; attribute: string }[]) =>
  changes.map((change) => [change.operation, change.attribute]);

describe('stampFoundLockChanges', () => {
  it('stamps the lock with the run time and marks it found', () => {
    expect(stampFoundLockChanges(NOW, names)).toEqual([
      { operation: 'replace', attribute: 'rostersyncDeactivatedTimestamp', values: ['20261123060000Z'] },
      { operation: 'replace', attribute: 'rostersyncLockFound', values: ['TRUE'] },
    ]);
  });
});

describe('isMarkedMissing', () => {
  it('does not take a lock stamp alone for "missing from the roster"', () => {
    expect(
      isMarkedMissing(directoryUser('S-1', { lockedTime: ADMIN_LOCK_TIME, deactivatedTimestamp: STAMP })),
    ).toBe(false);
    expect(isMarkedMissing(directoryUser('S-1', foundLock))).toBe(false);
  });

  it('takes the grace marks for it', () => {
    expect(isMarkedMissing(directoryUser('S-1', { missingSince: '20261101060000Z' }))).toBe(true);
    expect(isMarkedMissing(directoryUser('S-1', { purgeTimestamp: '20261130230000Z' }))).toBe(true);
  });
});

describe('reactivation', () => {
  it('keeps a found lock, with its stamp and mark, and reports it', () => {
    const { changes, keptByAdmin } = reactivation(
      directoryUser('S-1', { ...foundLock, ...markedMissing }),
      names,
    );
    expect(keptByAdmin).toEqual(['pwdAccountLockedTime=000001010000Z']);
    expect(attributesOf(changes)).toEqual([
      ['delete', 'rostersyncMissingSince'],
      ['delete', 'rostersyncPurgeTimestamp'],
    ]);
  });

  it('lifts its own lock as before', () => {
    const user = directoryUser('S-1', {
      lockedTime: ADMIN_LOCK_TIME,
      deactivatedTimestamp: '20261101060000Z',
      ...markedMissing,
    });
    const { changes, keptByAdmin } = reactivation(user, names);
    expect(keptByAdmin).toEqual([]);
    expect(attributesOf(changes)).toEqual([
      ['delete', 'pwdAccountLockedTime'],
      ['delete', 'rostersyncDeactivatedTimestamp'],
      ['delete', 'rostersyncMissingSince'],
      ['delete', 'rostersyncPurgeTimestamp'],
    ]);
  });

  it('drops the stamp and mark of a found lock that was lifted by hand since', () => {
    const user = directoryUser('S-1', { ...foundLock, lockedTime: undefined, ...markedMissing });
    const { changes, keptByAdmin } = reactivation(user, names);
    expect(keptByAdmin).toEqual([]);
    expect(attributesOf(changes)).toEqual([
      ['delete', 'rostersyncDeactivatedTimestamp'],
      ['delete', 'rostersyncLockFound'],
      ['delete', 'rostersyncMissingSince'],
      ['delete', 'rostersyncPurgeTimestamp'],
    ]);
  });
});

describe('the grace period on a user with a found lock', () => {
  it('writes nothing over an admin lock, so the found mark stays', () => {
    const user = directoryUser('S-1', foundLock);
    expect(lockNowChanges(user, NOW, names)).toEqual([]);
    expect(expireLaterChanges(user, NOW, ZONE, names)).toEqual([]);
    for (const period of [
      { deactivation: 0, deletion: 30 },
      { deactivation: 7, deletion: 30 },
    ]) {
      const decision = graceDecision(user, period, ZONE, NOW, names);
      expect(decision.kind).toBe('deactivate');
      if (decision.kind !== 'deactivate') return;
      expect(decision.changes.map((change) => change.attribute)).toEqual([
        'rostersyncMissingSince',
        'rostersyncPurgeTimestamp',
      ]);
    }
  });

  it('locks a user whose stamped lock would lapse (a lockout), and the lock is then its own', () => {
    const lockout = directoryUser('S-1', { ...foundLock, lockedTime: '20261120101010Z' });
    const decision = graceDecision(lockout, { deactivation: 0, deletion: 30 }, ZONE, NOW, names);
    expect(decision.kind).toBe('deactivate');
    if (decision.kind !== 'deactivate') return;
    expect(attributesOf(decision.changes)).toEqual([
      ['replace', 'pwdAccountLockedTime'],
      ['replace', 'rostersyncDeactivatedTimestamp'],
      ['delete', 'rostersyncLockFound'],
      ['replace', 'rostersyncMissingSince'],
      ['replace', 'rostersyncPurgeTimestamp'],
    ]);
  });

  it('locks a user whose stamped lock was lifted by hand', () => {
    const unlocked = directoryUser('S-1', { deactivatedTimestamp: STAMP });
    const decision = graceDecision(unlocked, { deactivation: 0, deletion: 30 }, ZONE, NOW, names);
    expect(decision.kind).toBe('deactivate');
    if (decision.kind !== 'deactivate') return;
    expect(decision.changes).toContainEqual({
      operation: 'replace',
      attribute: 'pwdAccountLockedTime',
      values: [ADMIN_LOCK_TIME],
    });
  });
});
