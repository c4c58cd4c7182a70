/**
 * Usernames and e-mail addresses from templates (SPEC §4.4) against the real server: counters on
 * collision, uniqueness across the whole base DN (other sources, hand-made entries), transliteration,
 * `max_length`, `[ALWAYSCOUNTER]`, `scheme.email`. Then values that are hostile to LDAP filters and DNs:
 * they must be stored exactly, found again with filter objects, and a re-import must change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import {
  addHandUser,
  addOu,
  findBy,
  findOne,
  initialPasswords,
  one,
  readEntry,
  values,
} from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];

async function usernames(fx: ImportFixture): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const user of await fx.users()) {
    if (user.rostersyncSourceUid === 'sis-test') map.set(String(user.rostersyncRecordUid), String(user.uid));
  }
  return map;
}

describe('usernames with the default scheme', () => {
  let fx: ImportFixture;
  let plainDn: string;
  let foreignDn: string;

  const rows: RosterRow[] = [
    { id: 'N-1', first: 'Jürgen', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'N-2', first: 'Julia', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'N-3', first: 'Jan', last: 'Mueller', schools: 'rs2', role: 'teacher' },
    { id: 'N-4', first: 'Anna', last: 'Weber', schools: 'gym1', role: 'teacher' },
    { id: 'N-5', first: 'Karl', last: 'Klein', schools: 'gym1', role: 'staff' },
    { id: 'N-6', first: 'Émile', last: 'Größe', schools: 'gym1', role: 'student' },
    { id: 'N-7', first: 'Zoë', last: 'Øre', schools: 'gym1', role: 'student' },
    { id: 'N-8', first: 'Иван', last: 'Петров', schools: 'gym1', role: 'student' },
    { id: 'N-9', first: 'Łukasz', last: 'Wójcik', schools: 'gym1', role: 'student' },
    { id: 'N-10', first: 'Siobhán', last: "O'Brien", schools: 'gym1', role: 'teacher' },
    { id: 'N-11', first: 'Ana', last: 'Meyer zu Knolle', schools: 'gym1', role: 'student' },
  ];

  beforeAll(async () => {
    fx = await importFixture('names');
    const elsewhere = await addOu(fx.tree.client, 'elsewhere', fx.tree.baseDn);
    // Names already taken under the base DN by entries this import does not manage.
    plainDn = await addHandUser(fx.tree.client, elsewhere, {
      uid: 'A.Weber',
      givenName: 'Anja',
      sn: 'Weber',
      mail: 'anja.weber@schule.example',
    });
    foreignDn = await addHandUser(fx.tree.client, elsewhere, {
      uid: 'k.klein',
      givenName: 'Kai',
      sn: 'Klein',
      sourceUid: 'other-source',
      recordUid: 'X-1',
      schools: ['gym1'],
      roles: ['student:school:gym1'],
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('gives out counters on collision, unique across the base DN, transliterated', async () => {
    await fx.writeRoster(rows);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    const names = await usernames(fx);
    expect(Object.fromEntries(names)).toEqual({
      'N-1': 'j.mueller',
      'N-2': 'j.mueller2',
      'N-3': 'j.mueller3',
      'N-4': 'a.weber2',
      'N-5': 'k.klein2',
      'N-6': 'e.groesse',
      'N-7': 'z.ore',
      'N-8': 'i.petrov',
      'N-9': 'l.wojcik',
      'N-10': 's.obrien',
      'N-11': 'a.meyerzuknolle',
    });
    // The names themselves are kept exactly as the roster spells them.
    const ivan = await findOne(fx.tree.client, fx.tree.baseDn, 'uid', 'i.petrov');
    expect(one(ivan, 'givenName')).toBe('Иван');
    expect(one(ivan, 'sn')).toBe('Петров');
    expect(one(await findOne(fx.tree.client, fx.tree.baseDn, 'uid', 'e.groesse'), 'sn')).toBe('Größe');
    // The hand-made and the other source's entries kept their names.
    expect(values(await readEntry(fx.tree.client, plainDn), 'uid')).toEqual(['A.Weber']);
    expect(values(await readEntry(fx.tree.client, foreignDn), 'uid')).toEqual(['k.klein']);
    // Every username is held by exactly one entry under the base DN.
    for (const username of names.values()) {
      expect(await findBy(fx.tree.client, fx.tree.baseDn, 'uid', username), username).toHaveLength(1);
    }
  });

  it('keeps the usernames on a re-import (no writes)', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('refuses an e-mail from the roster that another entry already uses (exit 1, nothing written)', async () => {
    const before = (await fx.auditLines()).length;
    const usersBefore = (await fx.users()).length;
    await fx.writeRoster([
      ...rows,
      {
        id: 'N-12',
        first: 'Anke',
        last: 'Weber',
        schools: 'gym1',
        role: 'teacher',
        email: 'anja.weber@schule.example',
      },
    ]);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(1);
    expect(await fx.user('N-12')).toBeUndefined();
    expect((await fx.users()).length).toBe(usersBefore);
    expect((await fx.auditLines()).length).toBe(before);
    expect(await findBy(fx.tree.client, fx.tree.baseDn, 'mail', 'anja.weber@schule.example')).toHaveLength(1);
    // The run says which address is the problem, not only how many problems there were.
    expect(result.stderr).toContain('anja.weber@schule.example');
  });

  it('looks each name up: a long run of names in use elsewhere is skipped to the first free one', async () => {
    const elsewhere = `ou=elsewhere,${fx.tree.baseDn}`;
    // j.lang, j.lang2 … j.lang20, in other spellings of case, none of them this source's.
    for (let counter = 1; counter <= 20; counter++) {
      await addHandUser(fx.tree.client, elsewhere, {
        uid: `J.Lang${counter === 1 ? '' : counter}`,
        givenName: 'Jo',
        sn: 'Lang',
      });
    }
    await fx.writeRoster([
      ...rows,
      { id: 'N-13', first: 'Jana', last: 'Lang', schools: 'gym1', role: 'student' },
      { id: 'N-14', first: 'Jens', last: 'Lang', schools: 'rs2', role: 'teacher' },
    ]);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    const names = await usernames(fx);
    expect([names.get('N-13'), names.get('N-14')]).toEqual(['j.lang21', 'j.lang22']);
    for (const username of ['j.lang21', 'j.lang22']) {
      expect(await findBy(fx.tree.client, fx.tree.baseDn, 'uid', username), username).toHaveLength(1);
    }
  });
});

describe('username and e-mail templates', () => {
  it('cuts names to scheme.max_length, counter included', async () => {
    const fx = await importFixture('maxlen', { config: { scheme: { max_length: 8 } } });
    try {
      await fx.writeRoster([
        { id: 'A-1', first: 'Maximilian', last: 'Schwarzenegger', schools: 'gym1', role: 'student' },
        { id: 'A-2', first: 'Moritz', last: 'Schwarzenegger', schools: 'gym1', role: 'student' },
        { id: 'A-3', first: 'Bo', last: 'Li', schools: 'gym1', role: 'student' },
      ]);
      const result = await fx.runImport(NOW);
      expect(result.code).toBe(0);
      expect(Object.fromEntries(await usernames(fx))).toEqual({
        'A-1': 'm.schwar',
        'A-2': 'm.schwa2',
        'A-3': 'b.li',
      });
    } finally {
      await fx.dispose();
    }
  });

  it('[ALWAYSCOUNTER] numbers every name; scheme.email makes unique addresses', async () => {
    const fx = await importFixture('templates', {
      config: {
        scheme: {
          username: '<firstname>.<lastname>[ALWAYSCOUNTER]',
          email: '<firstname>.<lastname>[COUNTER2]@schule.example',
        },
      },
    });
    try {
      await addHandUser(fx.tree.client, await addOu(fx.tree.client, 'elsewhere', fx.tree.baseDn), {
        uid: 'tom.kahn',
        givenName: 'Tom',
        sn: 'Kahn',
        mail: 'Tom.Kahn@schule.example',
      });
      await fx.writeRoster([
        { id: 'B-1', first: 'Julia', last: 'Müller', schools: 'gym1', role: 'student' },
        { id: 'B-2', first: 'Julia', last: 'Müller', schools: 'rs2', role: 'student' },
        { id: 'B-3', first: 'Tom', last: 'Kahn', schools: 'gym1', role: 'teacher' },
        {
          id: 'B-4',
          first: 'Eva',
          last: 'Roth',
          schools: 'gym1',
          role: 'teacher',
          email: 'eva@roth.example',
        },
      ]);
      const result = await fx.runImport(NOW);
      expect(result.code).toBe(0);
      const users = (await fx.users()).filter((user) => user.rostersyncSourceUid === 'sis-test');
      const byId = Object.fromEntries(users.map((user) => [String(user.rostersyncRecordUid), user]));
      expect(Object.fromEntries(users.map((user) => [user.rostersyncRecordUid, user.uid]))).toEqual({
        'B-1': 'julia.mueller1',
        'B-2': 'julia.mueller2',
        'B-3': 'tom.kahn1',
        'B-4': 'eva.roth1',
      });
      expect(byId['B-1']?.mail).toBe('julia.mueller@schule.example');
      expect(byId['B-2']?.mail).toBe('julia.mueller2@schule.example');
      // The hand-made entry holds tom.kahn@ (in another case): the template must not hand it out again.
      expect(byId['B-3']?.mail).toBe('tom.kahn2@schule.example');
      // An address given in the roster wins over the template.
      expect(byId['B-4']?.mail).toBe('eva@roth.example');
      expect(await findBy(fx.tree.client, fx.tree.baseDn, 'mail', 'tom.kahn@schule.example')).toHaveLength(1);
    } finally {
      await fx.dispose();
    }
  });
});

describe('hostile values in every field that reaches LDAP', () => {
  let fx: ImportFixture;
  const rows: RosterRow[] = [
    {
      id: '*)(x=1',
      first: '*)(uid=*',
      last: 'Back\\slash, Comma+Plus',
      schools: 'gym1',
      role: 'student',
      classes: 'a*)(b',
      email: 'x*)(y+z@schule.example',
    },
    {
      id: 'a,b+c',
      first: '"Quoted" <x>;=',
      last: '#Hash',
      schools: 'gym1',
      role: 'student',
      classes: '#7"q"\\+<>;=',
    },
    {
      id: '#lead\\uid',
      first: '李',
      last: 'Müller 😀',
      schools: 'gym1',
      role: 'teacher',
      classes: '李班 😀',
    },
  ];

  beforeAll(async () => {
    fx = await importFixture('hostile');
    await fx.writeRoster(rows);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('stores every value exactly; filters built from objects find them', async () => {
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    const { client } = fx.tree;
    const passwords = await initialPasswords(fx.stateDir);
    for (const row of rows) {
      const entry = await findOne(client, fx.tree.baseDn, 'rostersyncRecordUid', row.id);
      expect(one(entry, 'givenName'), row.id).toBe(row.first);
      expect(one(entry, 'sn'), row.id).toBe(row.last);
      expect(one(entry, 'cn'), row.id).toBe(`${row.first} ${row.last}`);
      expect(one(entry, 'uid'), row.id).toMatch(/^[a-z0-9._-]+$/);
      if (row.email !== undefined) expect(one(entry, 'mail')).toBe(row.email);
      // Found again by each value, and only that entry.
      for (const [attribute, value] of [
        ['givenName', row.first],
        ['sn', row.last],
      ] as const) {
        const found = await findBy(client, fx.tree.baseDn, attribute, value);
        expect(
          found.map((item) => one(item, 'entryUUID')),
          `${attribute}=${value}`,
        ).toEqual([one(entry, 'entryUUID')]);
      }
      // The DN works: the user can bind with the initial password.
      const dn = one(entry, 'dn') ?? '';
      expect(await fx.canBind(dn, passwords.get(one(entry, 'uid') ?? '') ?? ''), row.id).toBe(true);
      // The class group holds the exact class name and the user's DN.
      const className = String(row.classes);
      const group = await findOne(client, fx.tree.baseDn, 'cn', `gym1-${className}`);
      expect(values(group, 'rostersyncClass'), className).toEqual([className]);
      expect(values(group, 'member').map((member) => member.toLowerCase())).toEqual([dn.toLowerCase()]);
    }
    // A filter-looking value is a value, not a filter: it matches nothing else.
    expect(await findBy(client, fx.tree.baseDn, 'rostersyncRecordUid', '*')).toEqual([]);
    expect(await findBy(client, fx.tree.baseDn, 'givenName', '*')).toEqual([]);
  });

  it('a second import of the same roster writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    expect(before).toBeGreaterThan(0);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('a dry run with --format json shows the values exactly', async () => {
    const result = await fx.runImport([...NOW, '--dry-run', '--format', 'json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { actions: unknown[]; unchanged: number };
    expect(plan.actions).toEqual([]);
    expect(plan.unchanged).toBe(rows.length);
  });
});
