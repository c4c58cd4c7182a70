/**
 * What an import may touch (SPEC §4.3): only its own source's users, only the schools given with
 * `--school`. Everything else must come out of a run bit for bit the same, operational attributes included.
 * Multi-school users lose only the schools the roster takes away, and a new primary school moves the entry.
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { addHandUser, addOu, type EntryValues, findBy, readEntry, values } from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];

function isUnder(dn: string | undefined, container: string): boolean {
  return dn !== undefined && dn.toLowerCase().endsWith(`,${container.toLowerCase()}`);
}

function lifecycleMarks(entry: Record<string, string | string[]> | undefined): string[] {
  if (entry === undefined) return ['(missing)'];
  return [
    'pwdAccountLockedTime',
    'pwdEndTime',
    'shadowExpire',
    'rostersyncPurgeTimestamp',
    'rostersyncMissingSince',
    'rostersyncDeactivatedTimestamp',
  ].filter((attribute) => values(entry, attribute).length > 0);
}

describe('import scope: what a run must leave alone', () => {
  let fx: ImportFixture;
  let foreignDn: string;
  let foreignMissingDn: string;
  let plainDn: string;
  let before: Map<string, EntryValues | undefined>;

  const firstRoster: RosterRow[] = [
    { id: 'S-1', first: 'Sara', last: 'Lang', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'S-2', first: 'Till', last: 'Berg', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'R-1', first: 'Rita', last: 'Ost', schools: 'rs2', role: 'student', classes: '7b' },
    { id: 'R-2', first: 'Rolf', last: 'West', schools: 'rs2', role: 'student', classes: '7b' },
  ];

  beforeAll(async () => {
    fx = await importFixture('scope');
    const client = fx.tree.client;
    const elsewhere = await addOu(client, 'elsewhere', fx.tree.baseDn);
    // Another import job's users: one with a record uid this roster uses too, one this roster never names.
    foreignDn = await addHandUser(client, elsewhere, {
      uid: 's.lang.other',
      givenName: 'Sara',
      sn: 'Lang',
      sourceUid: 'other-source',
      recordUid: 'S-1',
      schools: ['gym1'],
      roles: ['student:school:gym1'],
    });
    foreignMissingDn = await addHandUser(client, elsewhere, {
      uid: 'o.nly',
      givenName: 'Otto',
      sn: 'Nly',
      sourceUid: 'other-source',
      recordUid: 'O-9',
      schools: ['gym1'],
      roles: ['teacher:school:gym1'],
    });
    // An entry made by hand, with no rostersync attributes at all.
    plainDn = await addHandUser(client, elsewhere, { uid: 'p.lain', givenName: 'Paul', sn: 'Lain' });
    before = new Map();
    for (const dn of [foreignDn, foreignMissingDn, plainDn]) before.set(dn, await readEntry(client, dn));
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('a full import leaves other sources’ users and plain entries untouched', async () => {
    await fx.writeRoster(firstRoster);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    // The roster's S-1 is a new user of this source, not the other source's S-1.
    const own = await findBy(fx.tree.client, fx.tree.baseDn, 'rostersyncRecordUid', 'S-1');
    expect(own.map((entry) => values(entry, 'rostersyncSourceUid')[0]).sort()).toEqual([
      'other-source',
      'sis-test',
    ]);
    for (const dn of [foreignDn, foreignMissingDn, plainDn]) {
      expect(await readEntry(fx.tree.client, dn), dn).toEqual(before.get(dn));
    }
    // Nothing in the audit log names them.
    const touched = (await fx.auditLines()).map((line) => String(line.dn).toLowerCase());
    for (const dn of [foreignDn, foreignMissingDn, plainDn]) expect(touched).not.toContain(dn.toLowerCase());
  });

  it('a member value of another source’s user in a class group survives re-imports', async () => {
    const group = (await fx.groups()).find((entry) => entry.cn === 'gym1-5a');
    expect(group).toBeDefined();
    const groupDn = String(group?.dn);
    await fx.tree.client.modify(
      groupDn,
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [foreignDn] }) }),
    );
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    const after = (await fx.groups()).find((entry) => entry.cn === 'gym1-5a');
    expect(values(after, 'member').map((dn) => dn.toLowerCase())).toContain(foreignDn.toLowerCase());
    expect(values(after, 'member')).toHaveLength(3);
  });

  it('with --school gym1, rs2 users and rs2 rows are out of scope', async () => {
    const client = fx.tree.client;
    const rs2Users = (await fx.users()).filter((user) => values(user, 'rostersyncSchool').includes('rs2'));
    expect(rs2Users.map((user) => user.rostersyncRecordUid).sort()).toEqual(['R-1', 'R-2']);
    const rs2Group = (await fx.groups()).find((entry) => entry.cn === 'rs2-7b');
    const watched = [...rs2Users.map((user) => String(user.dn)), String(rs2Group?.dn), foreignDn, plainDn];
    const snapshot = new Map<string, EntryValues | undefined>();
    for (const dn of watched) snapshot.set(dn, await readEntry(client, dn));
    const auditBefore = (await fx.auditLines()).length;

    // R-1 is missing, R-2's row changes its name, R-3 is new: all rs2 business, so none of it happens.
    await fx.writeRoster([
      { id: 'S-1', first: 'Sara', last: 'Lang-Neu', schools: 'gym1', role: 'student', classes: '5a' },
      { id: 'S-2', first: 'Till', last: 'Berg', schools: 'gym1', role: 'student', classes: '5a' },
      { id: 'R-2', first: 'Rolf', last: 'Ostwest', schools: 'rs2', role: 'student', classes: '7b' },
      { id: 'R-3', first: 'Rudi', last: 'Neu', schools: 'rs2', role: 'student', classes: '7b' },
    ]);
    const result = await fx.runImport([...NOW, '--school', 'gym1']);
    expect(result.code).toBe(0);

    // The in-scope change did happen…
    const own = (await fx.users()).find(
      (user) => user.rostersyncRecordUid === 'S-1' && user.rostersyncSourceUid === 'sis-test',
    );
    expect(own?.sn).toBe('Lang-Neu');
    expect((await fx.auditLines()).length).toBeGreaterThan(auditBefore);
    // …and nothing else: R-1 not deactivated, R-2 not renamed, R-3 not created, rs2-7b unchanged.
    expect(lifecycleMarks(await fx.user('R-1'))).toEqual([]);
    expect(await fx.user('R-3')).toBeUndefined();
    for (const dn of watched) expect(await readEntry(client, dn), dn).toEqual(snapshot.get(dn));
    const rs2Dns = new Set(watched.map((dn) => dn.toLowerCase()));
    const writes = (await fx.auditLines()).slice(auditBefore);
    expect(writes.filter((line) => rs2Dns.has(String(line.dn).toLowerCase()))).toEqual([]);
  });

  it('the other source’s entries are still untouched after all runs', async () => {
    expect(await readEntry(fx.tree.client, foreignMissingDn)).toEqual(before.get(foreignMissingDn));
    expect(await readEntry(fx.tree.client, plainDn)).toEqual(before.get(plainDn));
    // Its membership in a class group lives in the group entry, not in its own.
    expect(await readEntry(fx.tree.client, foreignDn)).toEqual(before.get(foreignDn));
  });
});

describe('import scope: multi-school users', () => {
  let fx: ImportFixture;
  const roster = (overrides: Record<string, Partial<RosterRow> | null>): RosterRow[] => {
    const base: RosterRow[] = [
      { id: 'M-1', first: 'Mona', last: 'Zwei', schools: 'gym1,rs2', role: 'teacher', classes: '5a,rs2-7b' },
      { id: 'M-2', first: 'Max', last: 'Doppel', schools: 'gym1,rs2', role: 'teacher', classes: '5a,rs2-7b' },
      {
        id: 'P-1',
        first: 'Pia',
        last: 'Wechsel',
        schools: 'gym1,rs2',
        role: 'teacher',
        classes: '6a,rs2-8c',
      },
      { id: 'S-1', first: 'Sven', last: 'Eins', schools: 'gym1', role: 'student', classes: '5a,6a' },
      { id: 'S-2', first: 'Sina', last: 'Zwo', schools: 'rs2', role: 'student', classes: '7b,8c' },
    ];
    const rows: RosterRow[] = [];
    for (const row of base) {
      const override = overrides[row.id];
      if (override === null) continue;
      rows.push({ ...row, ...override });
    }
    return rows;
  };
  const members = async (cn: string): Promise<string[]> => {
    const group = (await fx.groups()).find((entry) => entry.cn === cn);
    return values(group, 'member').map((dn) => dn.toLowerCase());
  };
  const dnOf = async (recordUid: string): Promise<string> => String((await fx.user(recordUid))?.dn);

  beforeAll(async () => {
    fx = await importFixture('multischool');
    await fx.writeRoster(roster({}));
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('a teacher missing from a --school gym1 import loses gym1 only and is not deactivated', async () => {
    const m1Before = await fx.user('M-1');
    expect(values(m1Before, 'rostersyncSchool').sort()).toEqual(['gym1', 'rs2']);
    const password = (await fx.passwords()).get(String(m1Before?.uid)) ?? '';
    expect(await members('gym1-5a')).toContain(String(m1Before?.dn).toLowerCase());

    await fx.writeRoster(roster({ 'M-1': null, 'S-2': null }));
    const result = await fx.runImport([...NOW, '--school', 'gym1']);
    expect(result.code).toBe(0);

    const m1 = await fx.user('M-1');
    expect(m1?.entryUUID).toBe(m1Before?.entryUUID);
    expect(values(m1, 'rostersyncSchool')).toEqual(['rs2']);
    expect(values(m1, 'rostersyncRole')).toEqual(['teacher:school:rs2']);
    expect(lifecycleMarks(m1)).toEqual([]);
    expect(await fx.canBind(String(m1?.dn), password)).toBe(true);
    // Out of gym1's class group, still in rs2's.
    expect(await members('gym1-5a')).not.toContain(String(m1Before?.dn).toLowerCase());
    expect(await members('gym1-5a')).not.toContain(String(m1?.dn).toLowerCase());
    expect(await members('rs2-7b')).toContain(String(m1?.dn).toLowerCase());
    // S-2 (rs2 only) was not in this run's scope: untouched although missing.
    expect(lifecycleMarks(await fx.user('S-2'))).toEqual([]);
  });

  it('the teacher who left gym1 no longer sits in gym1’s people container', async () => {
    const m1 = await fx.user('M-1');
    expect(isUnder(String(m1?.dn), `ou=people,ou=rs2,${fx.tree.baseDn}`)).toBe(true);
    expect(await members('rs2-7b')).toContain(String(m1?.dn).toLowerCase());
  });

  it('a row that drops rs2 removes rs2, its role and the rs2 class memberships (full import)', async () => {
    const m2Before = await fx.user('M-2');
    expect(await members('rs2-7b')).toContain(String(m2Before?.dn).toLowerCase());
    await fx.writeRoster(
      roster({ 'M-1': { schools: 'rs2', classes: 'rs2-7b' }, 'M-2': { schools: 'gym1', classes: '5a' } }),
    );
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);

    const m2 = await fx.user('M-2');
    expect(m2?.entryUUID).toBe(m2Before?.entryUUID);
    expect(values(m2, 'rostersyncSchool')).toEqual(['gym1']);
    expect(values(m2, 'rostersyncRole')).toEqual(['teacher:school:gym1']);
    expect(lifecycleMarks(m2)).toEqual([]);
    expect(await members('rs2-7b')).not.toContain(String(m2?.dn).toLowerCase());
    expect(await members('rs2-7b')).toContain((await dnOf('S-2')).toLowerCase());
    expect(await members('gym1-5a')).toContain(String(m2?.dn).toLowerCase());
  });

  it('a new primary school moves the entry; same entryUUID, group members follow', async () => {
    const p1Before = await fx.user('P-1');
    const oldDn = String(p1Before?.dn);
    expect(isUnder(oldDn, `ou=people,ou=gym1,${fx.tree.baseDn}`)).toBe(true);
    const password = (await fx.passwords()).get(String(p1Before?.uid)) ?? '';

    await fx.writeRoster(
      roster({
        'M-1': { schools: 'rs2', classes: 'rs2-7b' },
        'M-2': { schools: 'gym1', classes: '5a' },
        'P-1': { schools: 'rs2,gym1', classes: 'gym1-6a,8c' },
      }),
    );
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);

    const p1 = await fx.user('P-1');
    const newDn = String(p1?.dn);
    expect(p1?.entryUUID).toBe(p1Before?.entryUUID);
    expect(isUnder(newDn, `ou=people,ou=rs2,${fx.tree.baseDn}`)).toBe(true);
    expect(values(p1, 'rostersyncSchool').sort()).toEqual(['gym1', 'rs2']);
    expect(await readEntry(fx.tree.client, oldDn)).toBeUndefined();
    expect(await fx.canBind(newDn, password)).toBe(true);
    for (const cn of ['gym1-6a', 'rs2-8c']) {
      expect(await members(cn), cn).toContain(newDn.toLowerCase());
      expect(await members(cn), cn).not.toContain(oldDn.toLowerCase());
    }
    // No member value anywhere still points at the old DN.
    expect(await findBy(fx.tree.client, fx.tree.baseDn, 'member', oldDn)).toEqual([]);

    // And the next import of the same roster changes nothing.
    const auditBefore = (await fx.auditLines()).length;
    expect((await fx.runImport(NOW)).code).toBe(0);
    expect((await fx.auditLines()).length).toBe(auditBefore);
  });
});
