/**
 * Every lock rostersync sets records when it set it (`rostersyncDeactivatedTimestamp`): the lifecycle's
 * `deactivated` trigger counts from that time (SPEC §7). The purge's move and the grace period's lock
 * both write it with the run's time, under the name `ldap.attributes` gives it.
 */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { ADMIN_LOCK_TIME } from '../../src/dates.js';
import { lockNowChanges, moveOutChanges } from '../../src/plan/deactivation.js';
import type { DirectoryUser } from '../../src/snapshot/types.js';

const NOW = new Date('2026-12-23T06:00:00Z');
const REQUIRED = { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } };
const names = attributeNames(parseConfig(REQUIRED, 't'));

/** A user as the snapshot reads it; only what the lock looks at matters here. */
const unlockedUser = { objectClasses: ['inetOrgPerson', 'rostersyncUser'], lockedTime: undefined } as Pick<
  DirectoryUser,
  'objectClasses' | 'lockedTime'
> as DirectoryUser;

describe('the time of a lock', () => {
  it('is written with the lock when the purge moves a user out (purge.mode: move)', () => {
    expect(moveOutChanges(NOW, names)).toEqual([
      { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
      { operation: 'replace', attribute: 'rostersyncDeactivatedTimestamp', values: ['20261223060000Z'] },
      { operation: 'replace', attribute: 'rostersyncRemovedTimestamp', values: ['20261223060000Z'] },
    ]);
  });

  it('is written under the mapped name when ldap.attributes maps it', () => {
    const mapped = attributeNames(
      parseConfig(
        {
          ...REQUIRED,
          ldap: { ...REQUIRED.ldap, attributes: { rostersyncDeactivatedTimestamp: 'extDeactivated' } },
        },
        't',
      ),
    );
    expect(moveOutChanges(NOW, mapped)).toContainEqual({
      operation: 'replace',
      attribute: 'extDeactivated',
      values: ['20261223060000Z'],
    });
  });

  it('comes with every lock rostersync plans', () => {
    for (const changes of [moveOutChanges(NOW, names), lockNowChanges(unlockedUser, NOW, names)]) {
      expect(changes.some((change) => change.attribute === 'pwdAccountLockedTime')).toBe(true);
      expect(changes).toContainEqual({
        operation: 'replace',
        attribute: 'rostersyncDeactivatedTimestamp',
        values: ['20261223060000Z'],
      });
    }
  });
});
