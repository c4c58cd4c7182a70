/** The restore plan (`rostersync archive restore`): what comes back, locked, into which groups, and when it is refused. */
import { describe, expect, it } from 'vitest';
import type { ArchivedUser } from '../../src/archive/index.js';
import { parseConfig } from '../../src/config/index.js';
import { planRestore, type RestoreFacts } from '../../src/plan/restore.js';
import { archiveOf } from '../../src/plan/archive.js';

const config = parseConfig(
  {
    source_uid: 'sis',
    timezone: 'Europe/Berlin',
    ldap: { base_dn: 'dc=x' },
    csv: { mapping: { id: 'record_uid' } },
    archive: { dir: '/var/lib/rostersync/archive' },
  },
  'test',
);
const NOW = new Date('2026-12-23T08:00:00Z');
const DN = 'uid=e.kurz,ou=people,ou=gym1,dc=x';

const archive: ArchivedUser = {
  dn: DN,
  attributes: {
    objectClass: ['inetOrgPerson', 'shadowAccount', 'rostersyncUser'],
    uid: ['e.kurz'],
    sn: ['Kurz'],
    rostersyncSourceUid: ['sis'],
    rostersyncRecordUid: ['S-2'],
    rostersyncSchool: ['gym1'],
    rostersyncPurgeTimestamp: ['20261222230000Z'],
    rostersyncMissingSince: ['20261123000000Z'],
    rostersyncDeactivatedTimestamp: ['20261123000000Z'],
    rostersyncRetirementState: ['RETIRING_ARCHIVE'],
    shadowExpire: ['1'],
    entryUUID: ['0b5c7c6e-0000-4000-8000-000000000001'],
    createTimestamp: ['20261123000000Z'],
    pwdLastSuccess: ['20261124000000Z'],
  },
  memberships: [
    { group: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x', attribute: 'member', value: DN },
    { group: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x', attribute: 'memberUid', value: 'e.kurz' },
    { group: 'cn=gone,dc=x', attribute: 'member', value: DN },
    { group: 'cn=library,dc=x', attribute: 'member', value: DN },
  ],
};

const free: RestoreFacts = {
  entryExists: false,
  parentExists: true,
  usernameTakenBy: [],
  retiredAs: [],
  recordUidTakenBy: [],
  reservation: 'uid=e.kurz,ou=rostersync-reserved-usernames,dc=x',
  groups: new Map([
    ['cn=gym1-5a,ou=groups,ou=gym1,dc=x', { member: ['uid=t.lind,dc=x'], uniqueMember: [], memberUid: [] }],
    ['cn=gone,dc=x', undefined],
    // Put back meanwhile (by hand): nothing to do there.
    ['cn=library,dc=x', { member: ['UID=E.Kurz,ou=people,ou=gym1,dc=x'], uniqueMember: [], memberUid: [] }],
  ]),
};

describe('planRestore', () => {
  it('adds the entry without what the server makes or the past left, locked and missing since now', () => {
    const plan = planRestore({ config, now: NOW, file: 'e.kurz.ldif', archive, facts: free });
    expect(plan).toMatchObject({ job: 'restore', archive: 'e.kurz.ldif', missingGroups: ['cn=gone,dc=x'] });
    const [restore, ...groups] = plan.actions;
    expect(restore).toEqual({
      kind: 'restore',
      phase: 'creates',
      dn: DN,
      recordUid: 'S-2',
      username: 'e.kurz',
      school: 'gym1',
      attributes: {
        objectClass: ['inetOrgPerson', 'shadowAccount', 'rostersyncUser'],
        uid: ['e.kurz'],
        sn: ['Kurz'],
        rostersyncSourceUid: ['sis'],
        rostersyncRecordUid: ['S-2'],
        rostersyncSchool: ['gym1'],
        pwdAccountLockedTime: ['000001010000Z'],
        rostersyncDeactivatedTimestamp: ['20261223080000Z'],
        shadowExpire: ['1'],
        rostersyncMissingSince: ['20261223080000Z'],
      },
      reservation: 'uid=e.kurz,ou=rostersync-reserved-usernames,dc=x',
    });
    expect(groups).toEqual([
      {
        kind: 'modify-group',
        phase: 'groups',
        dn: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x',
        school: '',
        className: '',
        added: [DN, 'e.kurz'],
        removed: [],
        changes: [
          { operation: 'add', attribute: 'member', values: [DN] },
          { operation: 'add', attribute: 'memberUid', values: ['e.kurz'] },
        ],
      },
    ]);
  });

  it('is refused, naming each reason, when the name, the record uid or the DN is in use', () => {
    const plan = () =>
      planRestore({
        config,
        now: NOW,
        file: 'e.kurz.ldif',
        archive,
        facts: {
          ...free,
          entryExists: true,
          usernameTakenBy: ['uid=e.kurz,ou=people,ou=rs2,dc=x'],
          recordUidTakenBy: ['uid=e.kurz,ou=removed,dc=x'],
        },
      });
    expect(plan).toThrow(
      'cannot restore e.kurz from e.kurz.ldif: an entry uid=e.kurz,ou=people,ou=gym1,dc=x exists; the username e.kurz is taken since by uid=e.kurz,ou=people,ou=rs2,dc=x; the record uid S-2 of source sis is taken since by uid=e.kurz,ou=removed,dc=x. Nothing is written.',
    );
    expect(() =>
      planRestore({ config, now: NOW, file: 'a', archive, facts: { ...free, parentExists: false } }),
    ).toThrow(/its container ou=people,ou=gym1,dc=x does not exist/);
    expect(() =>
      planRestore({
        config,
        now: NOW,
        file: 'a',
        archive,
        facts: { ...free, retiredAs: ['uid=retired__user_1,dc=x'] },
      }),
    ).toThrow(/the username e.kurz is retired/);
  });

  it('refuses an archive of another source, or of no rostersync user, as a usage error', () => {
    const other = { ...archive, attributes: { ...archive.attributes, rostersyncSourceUid: ['hr'] } };
    expect(() => planRestore({ config, now: NOW, file: 'a', archive: other, facts: free })).toThrow(
      /the archive is of source hr, the config's source_uid is sis/,
    );
    const plain = { ...archive, attributes: { objectClass: ['inetOrgPerson'], uid: ['x'] } };
    expect(() => planRestore({ config, now: NOW, file: 'a', archive: plain, facts: free })).toThrow(
      /not the archive of a rostersync user \(no rostersyncRecordUid, rostersyncSourceUid\)/,
    );
  });
});

describe('archiveOf', () => {
  it("names archive.dir/DAY/USERNAME.ldif with the run's day in the zone, and nothing without archive.dir", () => {
    // 23:30 UTC on 22 December is 23 December in Berlin.
    expect(archiveOf(config, new Date('2026-12-22T23:30:00Z'), 'e.kurz')).toEqual({
      archive: '/var/lib/rostersync/archive/2026-12-23/e.kurz.ldif',
    });
    const without = parseConfig(
      { source_uid: 'sis', ldap: { base_dn: 'dc=x' }, csv: { mapping: { id: 'record_uid' } } },
      'test',
    );
    expect(archiveOf(without, NOW, 'e.kurz')).toEqual({});
  });
});
