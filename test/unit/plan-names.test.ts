/** Names for new users, unique across the base DN, as a pure function of the names in use. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { NameError } from '../../src/naming/index.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { NameGiver, reservationEntry } from '../../src/plan/names.js';
import type { RosterRecord } from '../../src/roster/index.js';

const config = parseConfig(
  {
    source_uid: 'sis',
    ldap: { base_dn: 'dc=example,dc=org' },
    csv: { mapping: { id: 'record_uid' } },
    scheme: {
      username: '<firstname>[0].<lastname>[COUNTER2]',
      email: '<firstname>.<lastname>[COUNTER2]@school.example',
    },
  },
  'test',
);

function record(recordUid: string, overrides: Partial<RosterRecord> = {}): RosterRecord {
  return {
    line: 2,
    recordUid,
    firstname: 'Jörg',
    lastname: 'Meier',
    schools: ['gym1'],
    roles: ['student'],
    classes: [],
    attributes: {},
    ...overrides,
  };
}

const nothingInUse = { usernames: [], emails: [], freedUsernames: [], freedEmails: [], givenEmails: [] };

describe('NameGiver', () => {
  it('counts up on collision with names in use and names given in this run', () => {
    const giver = new NameGiver(config.scheme, { ...nothingInUse, usernames: ['j.meier'] });
    expect(giver.give(record('S-1'), 'gym1')).toEqual({
      username: 'j.meier2',
      email: 'joerg.meier@school.example',
    });
    expect(giver.give(record('S-2'), 'gym1')).toEqual({
      username: 'j.meier3',
      email: 'joerg.meier2@school.example',
    });
  });

  it('gives out again what this run’s deletions free, but not addresses given to existing users', () => {
    const giver = new NameGiver(config.scheme, {
      ...nothingInUse,
      usernames: ['j.meier'],
      emails: ['joerg.meier@school.example'],
      freedUsernames: ['j.meier'],
      freedEmails: ['joerg.meier@school.example'],
      givenEmails: ['joerg.meier@school.example'],
    });
    expect(giver.give(record('S-1', { email: 'own@school.example' }), 'gym1').username).toBe('j.meier');
    expect(() => giver.give(record('S-2', { email: 'joerg.meier@school.example' }), 'gym1')).toThrow(
      NameError,
    );
  });

  it('takes a username from the roster as it is, and refuses one in use', () => {
    const giver = new NameGiver(config.scheme, { ...nothingInUse, usernames: ['taken'] });
    expect(giver.give(record('S-1', { username: 'own.name' }), 'gym1').username).toBe('own.name');
    expect(() => giver.give(record('S-2', { username: 'taken' }), 'gym1')).toThrow(/already taken/);
  });
});

describe('reservationEntry', () => {
  it('keeps a username under the reservations container', () => {
    expect(
      reservationEntry(
        new DirectoryLayout(config),
        { username: 'j.meier', recordUid: 'S-1' },
        'sis',
        'purged',
      ),
    ).toEqual({
      dn: 'uid=j.meier,ou=rostersync-reserved-usernames,dc=example,dc=org',
      attributes: {
        objectClass: ['account'],
        uid: ['j.meier'],
        description: ['reserved by rostersync: username of purged user S-1 (sis)'],
      },
    });
  });
});
