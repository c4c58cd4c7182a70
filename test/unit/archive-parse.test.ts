/** Reading an archive back (`rostersync archive restore`): the LDIF renderArchive writes, and what else RFC 2849 allows. */
import { describe, expect, it } from 'vitest';
import { type ArchivedUser, parseArchive, parseLdifRecords, renderArchive } from '../../src/archive/index.js';

const user: ArchivedUser = {
  dn: 'uid=e.kürz,ou=people,ou=gym1,dc=x',
  attributes: {
    objectClass: ['inetOrgPerson', 'rostersyncUser'],
    uid: ['e.kürz'],
    sn: ['Kürz'],
    // Needs base64: a leading space, a colon first, a trailing space.
    description: [' leading', ':colon', 'trailing '],
    // Longer than a line: folded.
    title: ['x'.repeat(200)],
    rostersyncRecordUid: ['S-2'],
    entryUUID: ['0b5c7c6e-0000-4000-8000-000000000001'],
  },
  memberships: [
    {
      group: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x',
      attribute: 'member',
      value: 'uid=e.kürz,ou=people,ou=gym1,dc=x',
    },
    { group: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x', attribute: 'memberUid', value: 'e.kürz' },
    { group: 'cn=library,dc=x', attribute: 'uniqueMember', value: 'UID=e.kürz,ou=people,ou=gym1,dc=x' },
  ],
};

describe('parseArchive', () => {
  it('reads back what renderArchive wrote, but the password (round trip)', () => {
    const text = renderArchive(
      { ...user, attributes: { ...user.attributes, userPassword: ['{SSHA}secret'] } },
      ['rostersync archive of e.kürz, with a header line long enough to be folded by any writer of LDIF'],
    );
    expect(text).toContain('\n ');
    expect(parseArchive(text, 'a.ldif')).toEqual(user);
  });

  it('reads RFC 2849 as other tools write it: CRLF, the first record under version, folds anywhere, no changetype', () => {
    const text = [
      'version: 1',
      'dn: uid=a,dc=x',
      'objectClass: inetOrg',
      ' Person',
      'cn:: ' + Buffer.from('Ä B').toString('base64'),
      '# a comment',
      'uid:a',
      '',
      '',
      'dn: cn=g,dc=x',
      'changetype: modify',
      'add: member',
      'member: uid=a,dc=x',
      '-',
      'add: memberUid',
      'memberUid: a',
      '',
    ].join('\r\n');
    expect(parseArchive(text, 'a.ldif')).toEqual({
      dn: 'uid=a,dc=x',
      attributes: { objectClass: ['inetOrgPerson'], cn: ['Ä B'], uid: ['a'] },
      memberships: [
        { group: 'cn=g,dc=x', attribute: 'member', value: 'uid=a,dc=x' },
        { group: 'cn=g,dc=x', attribute: 'memberUid', value: 'a' },
      ],
    });
  });

  it('parses the change records of a modify with their operations', () => {
    const records = parseLdifRecords(
      [
        'dn: cn=g,dc=x',
        'changetype: modify',
        'replace: description',
        'description: new',
        '-',
        'delete: owner',
        '-',
      ].join('\n'),
      'x.ldif',
    );
    expect(records).toEqual([
      {
        line: 1,
        dn: 'cn=g,dc=x',
        changetype: 'modify',
        changes: [
          { operation: 'replace', attribute: 'description', values: ['new'] },
          { operation: 'delete', attribute: 'owner', values: [] },
        ],
      },
    ]);
  });

  it('names the file and line of what it cannot read', () => {
    expect(() => parseArchive('version: 1\n\ndn: uid=a,dc=x\nchangetype: delete\n', 'a.ldif')).toThrow(
      /^a\.ldif:4: changetype delete is not one an archive holds/,
    );
    expect(() => parseArchive('version: 1\n\nuid: a\n', 'a.ldif')).toThrow(/^a\.ldif:3: expected a dn: line/);
    expect(() => parseArchive('dn: uid=a\ncn:: *nope*\n', 'a.ldif')).toThrow(
      /^a\.ldif:2: cn: invalid base64/,
    );
    expect(() => parseArchive('dn: uid=a\nphoto:< file:///etc/passwd\n', 'a.ldif')).toThrow(/values by URL/);
    expect(() => parseArchive('# nothing\n', 'a.ldif')).toThrow(/starts with no add record/);
    expect(() =>
      parseArchive('dn: uid=a\n\ndn: cn=g\nchangetype: modify\ndelete: member\nmember: uid=a\n-\n', 'a.ldif'),
    ).toThrow(/^a\.ldif:3: not a rostersync archive: delete: member is no group membership/);
  });

  it('refuses a plain string with an exit code of a usage error', () => {
    try {
      parseArchive('garbage', 'a.ldif');
      expect.unreachable();
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
