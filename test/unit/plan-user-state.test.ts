/** What an entry should hold by its roster row, and the smallest change that gets it there. */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { Scope } from '../../src/plan/scope.js';
import { desiredUser, diffUser, holdsRecord, roleNameOf } from '../../src/plan/user-state.js';
import type { RosterRecord } from '../../src/roster/index.js';
import { directoryUser } from '../support/directory-user.js';

const names = attributeNames(
  parseConfig(
    { source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' }, csv: { mapping: { id: 'record_uid' } } },
    'test',
  ),
);

const record = (overrides: Partial<RosterRecord> = {}): RosterRecord => ({
  line: 2,
  recordUid: 'S-1',
  firstname: 'Jan',
  lastname: 'Meier',
  schools: ['gym1'],
  roles: ['student'],
  classes: [],
  attributes: {},
  ...overrides,
});

describe('desiredUser', () => {
  it('keeps the record’s own school list when it is the result, so users of one school share one list', () => {
    const schools = Object.freeze(['gym1', 'rs2']) as string[];
    expect(desiredUser(record({ schools }), undefined, new Scope([]), names).schools).toBe(schools);
    // Sorted into another order, or narrowed by the scope: a list of its own.
    const unsorted = record({ schools: ['rs2', 'gym1'] });
    expect(desiredUser(unsorted, undefined, new Scope([]), names).schools).toEqual(['gym1', 'rs2']);
    expect(desiredUser(unsorted, undefined, new Scope(['rs2']), names).schools).toEqual(['rs2']);
  });

  it('places the entry in the record’s first school, and reports it under the run’s first school', () => {
    const desired = desiredUser(record({ schools: ['gym1', 'rs2'] }), undefined, new Scope(['rs2']), names);
    expect(desired.placementSchool).toBe('gym1');
    expect(desired.primarySchool).toBe('rs2');
    expect(desired.schools).toEqual(['rs2']);
  });

  it('keeps the schools and roles a scoped run does not manage', () => {
    const existing = directoryUser('S-1', {
      schools: ['gym1', 'rs2'],
      roles: ['student:school:gym1', 'teacher:school:rs2'],
    });
    const desired = desiredUser(record({ roles: ['teacher'] }), existing, new Scope(['gym1']), names);
    expect(desired.schools).toEqual(['gym1', 'rs2']);
    expect(desired.roles).toEqual(['teacher:school:gym1', 'teacher:school:rs2']);
  });
});

describe('diffUser', () => {
  it('changes nothing when the entry holds what the row says, schools and roles compared without case', () => {
    const user = directoryUser('S-1', { schools: ['GYM1'], roles: ['Student:school:GYM1'] });
    const desired = desiredUser(record(), user, new Scope([]), names);
    expect(diffUser(user, desired, names)).toEqual({ changes: [], fields: [] });
  });

  it('replaces only what changed, and names the roster field', () => {
    const user = directoryUser('S-1');
    const desired = desiredUser(record({ lastname: 'Lang' }), user, new Scope([]), names);
    expect(diffUser(user, desired, names)).toEqual({
      changes: [
        { operation: 'replace', attribute: 'sn', values: ['Lang'] },
        { operation: 'replace', attribute: 'cn', values: ['Jan Lang'] },
        { operation: 'replace', attribute: 'displayName', values: ['Jan Lang'] },
      ],
      fields: ['lastname', 'name'],
    });
  });
});

describe('holdsRecord', () => {
  const student = record({ schools: Object.freeze(['gym1']) as string[], roles: ['student'] });

  it('says so for the usual re-import: one school, every value as written', () => {
    expect(holdsRecord(directoryUser('S-1'), student, new Scope([]), names)).toBe(true);
    expect(holdsRecord(directoryUser('S-1'), student, new Scope(['GYM1']), names)).toBe(true);
  });

  it('agrees with the full comparison wherever it says yes, and leaves the rest to it', () => {
    const users = [
      directoryUser('S-1'),
      directoryUser('S-1', { schools: ['GYM1'], roles: ['Student:school:GYM1'] }),
      directoryUser('S-1', {
        schools: ['gym1', 'rs2'],
        roles: ['student:school:gym1', 'student:school:rs2'],
      }),
      directoryUser('S-1', { roles: ['student:school:gym1', 'teacher:school:rs2'] }),
      directoryUser('S-1', { commonName: 'Jan  Meier' }),
      directoryUser('S-1', { displayName: 'Jan' }),
      directoryUser('S-1', { firstname: '' }),
      directoryUser('S-1', { email: 'jan@example.org' }),
      directoryUser('S-1', { email: 'Jan@Example.org' }),
      directoryUser('S-1', { roles: [] }),
    ];
    const records = [
      student,
      record({ schools: ['GYM1'] }),
      record({ schools: ['gym1', 'rs2'] }),
      record({ email: 'jan@example.org' }),
      record({ email: '' }),
      record({ firstname: '' }),
      record({ firstname: 'Ja', lastname: 'n Meier' }),
      record({ roles: ['student', 'teacher'] }),
      record({ attributes: { title: ['Dr.'] } }),
    ];
    const scopes = [new Scope([]), new Scope(['gym1']), new Scope(['rs2'])];
    let yes = 0;
    for (const user of users)
      for (const row of records)
        for (const scope of scopes) {
          if (!holdsRecord(user, row, scope, names)) continue;
          yes += 1;
          const desired = desiredUser(row, user, scope, names);
          expect(diffUser(user, desired, names)).toEqual({ changes: [], fields: [] });
          expect(desired.schools).toBe(row.schools);
          expect(desired.primarySchool).toBe(row.schools[0]);
          expect(desired.placementSchool).toBe(row.schools[0]);
        }
    expect(yes).toBeGreaterThan(4);
  });

  it('leaves to the full comparison what it only may hold: case, several schools, other schools kept, attr: columns', () => {
    const hold = (user: ReturnType<typeof directoryUser>, row: RosterRecord, scope = new Scope([])) =>
      holdsRecord(user, row, scope, names);
    expect(hold(directoryUser('S-1', { schools: ['GYM1'] }), student)).toBe(false);
    expect(hold(directoryUser('S-1'), record({ schools: ['gym1', 'rs2'] }))).toBe(false);
    expect(
      hold(
        directoryUser('S-1', { roles: ['student:school:gym1', 'teacher:school:rs2'] }),
        student,
        new Scope(['gym1']),
      ),
    ).toBe(false);
    expect(hold(directoryUser('S-1'), record({ attributes: { title: ['Dr.'] } }))).toBe(false);
    expect(hold(directoryUser('S-1'), record({ firstname: 'Ja', lastname: 'n Meier' }))).toBe(false);
    expect(
      hold(directoryUser('S-1', { email: 'Jan@Example.org' }), record({ email: 'jan@example.org' })),
    ).toBe(false);
  });
});

describe('roleNameOf', () => {
  it('takes the school off a role value', () => {
    expect(roleNameOf('teacher:school:gym1')).toBe('teacher');
    expect(roleNameOf('staff')).toBe('staff');
  });
});
