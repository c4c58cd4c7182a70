/** An import's reactivation lifts the lifecycle's marks too (SPEC §7): the user starts afresh. */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { reactivation } from '../../src/plan/deactivation.js';
import { directoryUser } from '../support/directory-user.js';

const names = attributeNames(
  parseConfig(
    { source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' }, csv: { mapping: { id: 'record_uid' } } },
    'test',
  ),
);

describe('reactivation', () => {
  it('removes a lifecycle warning and keep along with the grace marks', () => {
    const user = directoryUser('S-1', {
      missingSince: '20261101060000Z',
      purgeTimestamp: '20261130230000Z',
      warnedAt: '20261110060000Z',
      warningRule: 'stale',
      keptAt: '20261020060000Z',
    });
    expect(reactivation(user, names).changes.map((change) => [change.operation, change.attribute])).toEqual([
      ['delete', 'rostersyncMissingSince'],
      ['delete', 'rostersyncPurgeTimestamp'],
      ['delete', 'rostersyncWarningTimestamp'],
      ['delete', 'rostersyncWarningRule'],
      ['delete', 'rostersyncKeptTimestamp'],
    ]);
  });

  it('has nothing of the lifecycle to remove from a user without its marks', () => {
    const user = directoryUser('S-1', { missingSince: '20261101060000Z' });
    expect(reactivation(user, names).changes.map((change) => change.attribute)).toEqual([
      'rostersyncMissingSince',
    ]);
  });
});
