/**
 * The account's end as the `expired` trigger reads it (SPEC §7): `pwdEndTime`, else the day `shadowExpire`
 * names — but not the `shadowExpire: 1` rostersync writes beside its own admin lock, which is the lock.
 */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { ADMIN_LOCK_TIME } from '../../src/dates.js';
import { toLifecycleEntry } from '../../src/snapshot/lifecycle.js';

const names = attributeNames(
  parseConfig({ source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' } }, 'test'),
);
const endOf = (attributes: Record<string, string[]>): Date | undefined =>
  toLifecycleEntry({ dn: 'uid=kim,dc=example,dc=org', attributes: { uid: ['kim'], ...attributes } }, names)
    .state.ends;

describe('the end of an account', () => {
  it('is pwdEndTime, before shadowExpire', () => {
    expect(endOf({ pwdEndTime: ['20261120120000Z'], shadowExpire: ['20000'] })).toEqual(
      new Date('2026-11-20T12:00:00Z'),
    );
  });

  it('is else the day shadowExpire counts to', () => {
    expect(endOf({ shadowExpire: ['20412'] })).toEqual(new Date('2025-11-20T00:00:00Z'));
    expect(endOf({ shadowExpire: ['-1'] })).toBeUndefined();
    expect(endOf({})).toBeUndefined();
  });

  it('is none for the shadowExpire 1 beside an admin lock: that is rostersync’s lock, not an end', () => {
    expect(endOf({ shadowExpire: ['1'], pwdAccountLockedTime: [ADMIN_LOCK_TIME] })).toBeUndefined();
    // Without the lock, a 1 is an end date like any other.
    expect(endOf({ shadowExpire: ['1'] })).toEqual(new Date('1970-01-02T00:00:00Z'));
    // Beside an end date of its own, that date counts.
    expect(
      endOf({
        shadowExpire: ['1'],
        pwdAccountLockedTime: [ADMIN_LOCK_TIME],
        pwdEndTime: ['20261120120000Z'],
      }),
    ).toEqual(new Date('2026-11-20T12:00:00Z'));
  });
});
