/** `ldap.posix`: users become posixAccount/shadowAccount, class groups posixGroup with memberUid. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const rows: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'L-1', first: 'Ute', last: 'Lang', schools: 'gym1', role: 'teacher', classes: '5a,6b' },
];

const values = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value].sort() : [value];

describe('posix accounts and groups', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('posix', { config: { ldap: { posix: true } } });
    // Someone else already holds uidNumber 10000 under the base DN.
    await fx.tree.client.add(`uid=legacy,${fx.tree.baseDn}`, {
      objectClass: ['inetOrgPerson', 'posixAccount'],
      uid: 'legacy',
      cn: 'Legacy',
      sn: 'Legacy',
      uidNumber: '10000',
      gidNumber: '10000',
      homeDirectory: '/home/legacy',
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('creates posix users with free uidNumbers and posix class groups with memberUid', async () => {
    await fx.writeRoster(rows);
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code).toBe(0);
    const users = (await fx.users()).filter((user) => user.rostersyncRecordUid !== undefined);
    expect(users).toHaveLength(3);
    for (const user of users) {
      expect(values(user.objectClass)).toEqual(
        expect.arrayContaining(['posixAccount', 'shadowAccount', 'rostersyncUser']),
      );
      expect(user.homeDirectory).toBe(`/home/${String(user.uid)}`);
      expect(user.gidNumber).toBe('100');
    }
    expect(users.map((user) => Number(user.uidNumber)).sort()).toEqual([10001, 10002, 10003]);

    const groups = await fx.groups();
    const posixGroups = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(objectClass=posixGroup)',
      attributes: ['cn', 'gidNumber', 'memberUid', 'member'],
    });
    expect(groups).toHaveLength(0); // not groupOfNames
    const byName = new Map(posixGroups.searchEntries.map((entry) => [String(entry.cn), entry]));
    expect(values(byName.get('gym1-5a')?.memberUid as string[])).toEqual(['e.kurz', 'j.meier', 'u.lang']);
    expect(values(byName.get('gym1-6b')?.memberUid as string | string[])).toEqual(['u.lang']);
    expect(values(byName.get('gym1-5a')?.member as string[])).toHaveLength(3);
    const gids = posixGroups.searchEntries.map((entry) => Number(entry.gidNumber)).sort();
    expect(gids).toEqual([10001, 10002]); // 10000 is taken by the legacy entry
  });

  it('keeps memberUid in step with member when classes change', async () => {
    await fx.writeRoster([rows[0]!, rows[1]!, { ...rows[2]!, classes: '6b' }]);
    expect((await fx.runImport(['--now', '2026-11-24'])).code).toBe(0);
    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(cn=gym1-5a)',
      attributes: ['memberUid', 'member'],
    });
    expect(values(searchEntries[0]?.memberUid as string[])).toEqual(['e.kurz', 'j.meier']);
    expect(values(searchEntries[0]?.member as string[])).toHaveLength(2);
    const before = (await fx.auditLines()).length;
    expect((await fx.runImport(['--now', '2026-11-24'])).code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });
});

describe('passwords', () => {
  it.each([
    { hash: 'argon2', set_via: 'add' },
    { hash: 'ssha', set_via: 'exop' },
  ])('hash $hash via $set_via: the initial password from the passwords file works', async (password) => {
    const fx = await importFixture(`pw-${password.hash}`, { config: { password } });
    try {
      await fx.writeRoster([rows[0]!]);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      const user = await fx.user('S-1');
      const initial = (await fx.passwords()).get('j.meier');
      expect(initial).toMatch(/^\S{16}$/);
      expect(await fx.canBind(String(user?.dn), initial ?? '')).toBe(true);
      expect(await fx.canBind(String(user?.dn), 'wrong')).toBe(false);
      const audit = JSON.stringify(await fx.auditLines());
      expect(audit).not.toContain(initial);
    } finally {
      await fx.dispose();
    }
  });
});
