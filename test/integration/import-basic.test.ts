/** The import end to end against the real server: create, idempotence, deactivation, reactivation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const rows: RosterRow[] = [
  { id: 'S-1', first: 'Jürgen', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Julia', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
  {
    id: 'L-1',
    first: 'Anna',
    last: 'Schmidt',
    schools: 'gym1,rs2',
    role: 'teacher',
    classes: '5a,rs2-7b',
    email: 'anna.schmidt@schule.example',
  },
];

describe('import basics', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('basic');
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('creates users, class groups and containers; users can bind with their initial password', async () => {
    await fx.writeRoster(rows);
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.stderr).not.toContain('"level":"error"');
    expect(result.code).toBe(0);
    const users = await fx.users();
    expect(users.map((user) => user.uid).sort()).toEqual(['a.schmidt', 'j.mueller', 'j.mueller2']);
    const teacher = await fx.user('L-1');
    expect(teacher?.rostersyncRole).toEqual(['teacher:school:gym1', 'teacher:school:rs2']);
    const groups = await fx.groups();
    expect(groups.map((group) => group.cn).sort()).toEqual(['gym1-5a', 'rs2-7b']);
    const passwords = await fx.passwords();
    expect(await fx.canBind(String(teacher?.dn), passwords.get('a.schmidt') ?? '')).toBe(true);
  });

  it('sends zero writes when the same roster is imported again', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('moves an unchanged user whose entry was moved by hand back to its school, and nothing else', async () => {
    const base = fx.tree.baseDn;
    const student = await fx.user('S-2');
    const elsewhere = `ou=people,ou=rs2,${base}`;
    for (const [dn, ou] of [
      [`ou=rs2,${base}`, 'rs2'],
      [elsewhere, 'people'],
    ] as const) {
      const exists = await fx.tree.client.search(dn, { scope: 'base', attributes: ['1.1'] }).then(
        () => true,
        () => false,
      );
      if (!exists) await fx.tree.client.add(dn, { objectClass: 'organizationalUnit', ou });
    }
    await fx.tree.client.modifyDN(String(student?.dn), `uid=j.mueller2,${elsewhere}`);
    const before = (await fx.auditLines()).length;

    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code).toBe(0);
    const moved = await fx.user('S-2');
    expect(moved?.dn).toBe(`uid=j.mueller2,ou=people,ou=gym1,${base}`);
    // The move and nothing more: the entry's values and every other user stay as they were.
    expect((await fx.auditLines()).slice(before).map((line) => [line.action, line.dn])).toEqual([
      ['modrdn', `uid=j.mueller2,${elsewhere}`],
    ]);
    expect(moved?.rostersyncRole).toEqual(student?.rostersyncRole);
  });
});
