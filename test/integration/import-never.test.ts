/**
 * What an import or purge must never do, found by trying it as a first-time user would: act again on a user
 * it moved away, fail on a class group another source (or an admin) made, take a kept user out of its
 * groups, or move a user between schools a scoped run does not manage. Every assertion is on the directory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow, rosterCsv } from '../support/import.js';
import { addHandUser, addOu, values } from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];
const EXTENSIONS = fileURLToPath(new URL('../fixtures/extensions/', import.meta.url));
const MOVE_INSTEAD_OF_DELETE = fileURLToPath(
  new URL('../../hooks/move-instead-of-delete.js', import.meta.url),
);

const EVA: RosterRow = {
  id: 'S-1',
  first: 'Eva',
  last: 'Kurz',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const TOM: RosterRow = {
  id: 'S-2',
  first: 'Tom',
  last: 'Lind',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const UTE: RosterRow = {
  id: 'S-3',
  first: 'Ute',
  last: 'Moor',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};

async function importOk(fx: ImportFixture, rows: RosterRow[], args: string[] = []): Promise<void> {
  await fx.writeRoster(rows);
  const result = await fx.runImport([...NOW, ...args]);
  expect(result.code, result.stderr).toBe(0);
}

async function dryRunActions(fx: ImportFixture, args: string[]): Promise<{ kind: string; dn: string }[]> {
  const result = await fx.run([...args, '--dry-run', '--format', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { actions: { kind: string; dn: string }[] }).actions;
}

async function members(fx: ImportFixture, cn: string): Promise<string[]> {
  const group = (await fx.groups()).find((entry) => entry.cn === cn);
  return group === undefined ? [] : values(group, 'member').map((dn) => dn.toLowerCase());
}

async function dnOf(fx: ImportFixture, recordUid: string): Promise<string> {
  const user = await fx.user(recordUid);
  if (!user) throw new Error(`no user ${recordUid}`);
  return String(user.dn);
}

describe('a user moved instead of deleted has left the source', () => {
  const cases = [
    { name: 'purge.mode: move', config: { purge: { mode: 'move', move_to_dn: 'ou=removed,{base}' } } },
    {
      name: 'the shipped move-instead-of-delete subclass',
      config: { classes: { user_import: MOVE_INSTEAD_OF_DELETE } },
    },
  ];
  for (const variant of cases) {
    it(`${variant.name}: the import does not plan it again, and the safety limit stays quiet`, async () => {
      const fx = await importFixture('never-move');
      try {
        const target = `ou=removed,${fx.tree.baseDn}`;
        const config = JSON.parse(JSON.stringify(variant.config).replace('{base}', fx.tree.baseDn)) as Record<
          string,
          unknown
        >;
        await fx.editConfig({ ...config, deletion_grace_period: { deactivation: 0, deletion: 0 } });
        await importOk(fx, [EVA, TOM, UTE]);
        // One user gone per run, with a limit of one: each run is within it.
        await importOk(fx, [TOM, UTE], ['--max-deletions', '1']);
        const moved = await fx.user('S-1');
        expect(String(moved?.dn).toLowerCase()).toBe(`uid=e.kurz,${target}`.toLowerCase());
        expect(moved?.pwdAccountLockedTime).toBe('000001010000Z');
        expect(moved?.rostersyncRemovedTimestamp).toMatch(/^\d{14}Z$/);
        expect(await members(fx, 'gym1-5a')).not.toContain(String(moved?.dn).toLowerCase());

        // The next import has nothing to do with it…
        await fx.writeRoster([TOM, UTE]);
        const actions = await dryRunActions(fx, [
          'import',
          '--config',
          fx.configPath,
          '--input',
          fx.rosterPath,
          ...NOW,
        ]);
        expect(actions).toEqual([]);
        const auditBefore = (await fx.auditLines()).length;
        await importOk(fx, [TOM, UTE]);
        expect((await fx.auditLines()).length).toBe(auditBefore);
        // …and removing one more stays within the limit of one (the moved user is not counted again).
        await importOk(fx, [UTE], ['--max-deletions', '1']);
        expect(String((await fx.user('S-2'))?.dn).toLowerCase()).toBe(`uid=t.lind,${target}`.toLowerCase());
        expect(String((await fx.user('S-1'))?.dn).toLowerCase()).toBe(`uid=e.kurz,${target}`.toLowerCase());
      } finally {
        await fx.dispose();
      }
    });
  }

  it('the purge moves a due user once; the next purge finds nothing due', async () => {
    const fx = await importFixture('never-move-purge');
    try {
      const target = `ou=removed,${fx.tree.baseDn}`;
      await fx.editConfig({ purge: { mode: 'move', move_to_dn: target } });
      await importOk(fx, [EVA, TOM]);
      await importOk(fx, [TOM]); // grace 0/30: Eva is locked, purge timestamp in 30 days
      const later = ['--now', '2027-02-01'];
      const purge = await fx.run(['purge', '--config', fx.configPath, ...later]);
      expect(purge.code, purge.stderr).toBe(0);
      expect(String((await fx.user('S-1'))?.dn).toLowerCase()).toBe(`uid=e.kurz,${target}`.toLowerCase());
      expect(await dryRunActions(fx, ['purge', '--config', fx.configPath, ...later])).toEqual([]);
      const again = await fx.run(['purge', '--config', fx.configPath, ...later]);
      expect(again.code, again.stderr).toBe(0);
      expect(String((await fx.user('S-1'))?.dn).toLowerCase()).toBe(`uid=e.kurz,${target}`.toLowerCase());
    } finally {
      await fx.dispose();
    }
  });
});

describe('class groups are shared', () => {
  it('by two sources with pupils in one class: neither fails, each manages only its own members', async () => {
    const fx = await importFixture('never-shared');
    try {
      const officeConfig = join(fx.dir, 'office.yaml');
      const officeRoster = join(fx.dir, 'office.csv');
      const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(officeConfig, stringify({ ...config, source_uid: 'office-test' }));
      const office = (rows: RosterRow[], extra: string[] = []) =>
        writeFile(officeRoster, rosterCsv(rows)).then(() =>
          fx.run(['import', '--config', officeConfig, '--input', officeRoster, ...NOW, ...extra]),
        );
      const ada: RosterRow = {
        id: 'O-1',
        first: 'Ada',
        last: 'Orr',
        schools: 'gym1',
        role: 'student',
        classes: '5a',
      };

      await importOk(fx, [EVA, TOM]);
      const first = await office([ada]);
      expect(first.code, first.stderr).toBe(0);
      const adaDn = (await dnOf(fx, 'O-1')).toLowerCase();
      expect(await members(fx, 'gym1-5a')).toEqual(
        expect.arrayContaining([
          adaDn,
          (await dnOf(fx, 'S-1')).toLowerCase(),
          (await dnOf(fx, 'S-2')).toLowerCase(),
        ]),
      );
      // Neither source plans to create the group again, and re-runs change nothing.
      await fx.writeRoster([EVA, TOM]);
      const sisPlan = await dryRunActions(fx, [
        'import',
        '--config',
        fx.configPath,
        '--input',
        fx.rosterPath,
        ...NOW,
      ]);
      expect(sisPlan).toEqual([]);
      await writeFile(officeRoster, rosterCsv([ada]));
      const officePlan = await dryRunActions(fx, [
        'import',
        '--config',
        officeConfig,
        '--input',
        officeRoster,
        ...NOW,
      ]);
      expect(officePlan).toEqual([]);
      expect((await office([ada])).code).toBe(0);

      // One source's pupil leaves the class: the other source's member stays.
      await importOk(fx, [EVA, { ...TOM, classes: '' }]);
      const after = await members(fx, 'gym1-5a');
      expect(after).toContain(adaDn);
      expect(after).toContain((await dnOf(fx, 'S-1')).toLowerCase());
      expect(after).not.toContain((await dnOf(fx, 'S-2')).toLowerCase());
    } finally {
      await fx.dispose();
    }
  });

  it('made by hand before the first import: taken up, the admin’s member kept', async () => {
    const fx = await importFixture('never-handmade');
    try {
      const client = fx.tree.client;
      const gym1 = await addOu(client, 'gym1', fx.tree.baseDn);
      const groups = await addOu(client, 'groups', gym1);
      const staff = await addOu(client, 'staff', fx.tree.baseDn);
      const admin = await addHandUser(client, staff, { uid: 'k.admin', givenName: 'Kai', sn: 'Admin' });
      const groupDn = `cn=gym1-5a,${groups}`;
      await client.add(groupDn, { objectClass: ['groupOfNames'], cn: 'gym1-5a', member: admin });

      await fx.writeRoster([EVA, TOM]);
      const dry = await dryRunActions(fx, [
        'import',
        '--config',
        fx.configPath,
        '--input',
        fx.rosterPath,
        ...NOW,
      ]);
      expect(dry.filter((action) => action.kind === 'create-group')).toEqual([]);
      await importOk(fx, [EVA, TOM]);
      const group = (await fx.groups()).find((entry) => entry.cn === 'gym1-5a');
      expect(values(group, 'objectClass').map((name) => name.toLowerCase())).toContain('rostersyncgroup');
      expect(values(group, 'rostersyncClass')).toEqual(['5a']);
      const memberDns = await members(fx, 'gym1-5a');
      expect(memberDns).toContain(admin.toLowerCase());
      expect(memberDns).toContain((await dnOf(fx, 'S-1')).toLowerCase());

      // Both pupils leave the class: the admin's member stays, and so does the group.
      await importOk(fx, [
        { ...EVA, classes: '' },
        { ...TOM, classes: '' },
      ]);
      expect(await members(fx, 'gym1-5a')).toEqual([admin.toLowerCase()]);
    } finally {
      await fx.dispose();
    }
  });
});

describe('a user the run keeps is untouched, class groups included', () => {
  it('--no-delete and no_delete: true leave missing users in their groups', async () => {
    const fx = await importFixture('never-nodelete');
    try {
      await importOk(fx, [EVA, TOM, UTE]);
      const eva = (await dnOf(fx, 'S-1')).toLowerCase();
      const tom = (await dnOf(fx, 'S-2')).toLowerCase();
      await importOk(fx, [UTE], ['--no-delete']);
      expect(await members(fx, 'gym1-5a')).toEqual(expect.arrayContaining([eva, tom]));
      await fx.editConfig({ no_delete: true });
      await importOk(fx, [UTE]);
      expect(await members(fx, 'gym1-5a')).toEqual(expect.arrayContaining([eva, tom]));
      const user = await fx.user('S-1');
      expect(user?.pwdAccountLockedTime).toBeUndefined();
      expect(user?.rostersyncMissingSince).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });

  it('a row that failed validation (tolerated) keeps its user in its groups', async () => {
    const fx = await importFixture('never-badrow');
    try {
      await importOk(fx, [EVA, TOM]);
      const tom = (await dnOf(fx, 'S-2')).toLowerCase();
      await fx.editConfig({ tolerate_errors: 1 });
      await importOk(fx, [EVA, { ...TOM, role: 'wizard' }]);
      expect(await members(fx, 'gym1-5a')).toContain(tom);
      expect((await fx.user('S-2'))?.pwdAccountLockedTime).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });

  it('a delete a pre hook refuses keeps the user and its groups; the others go', async () => {
    const fx = await importFixture('never-veto');
    try {
      await importOk(fx, [EVA, TOM, UTE]);
      const eva = (await dnOf(fx, 'S-1')).toLowerCase();
      await fx.editConfig({
        deletion_grace_period: { deactivation: 0, deletion: 0 },
        hooks: [join(EXTENSIONS, 'veto-delete.js')],
      });
      await fx.writeRoster([UTE]);
      const result = await fx.runImport([...NOW]);
      expect(result.code).toBe(1); // the refusal is an error
      expect(await fx.user('S-1')).toBeDefined();
      expect(await fx.user('S-2')).toBeUndefined();
      const after = await members(fx, 'gym1-5a');
      expect(after).toContain(eva);
      expect(after).toHaveLength(2); // Eva and Ute

      // The only other member left as well: the group stays, with the user whose delete was refused.
      await fx.writeRoster([]);
      expect((await fx.runImport([...NOW])).code).toBe(1);
      expect(await members(fx, 'gym1-5a')).toEqual([eva]);
      expect(await fx.user('S-3')).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});

describe('a --school run leaves what lies outside its scope alone', () => {
  const MULTI: RosterRow = {
    id: 'M-1',
    first: 'Mia',
    last: 'Hof',
    schools: 'gym1,rs2',
    role: 'teacher',
    classes: '5a,rs2-7b',
  };

  it('does not move a multi-school user whose first school it does not manage', async () => {
    const fx = await importFixture('never-scope-move');
    try {
      await importOk(fx, [MULTI]);
      const placed = (await dnOf(fx, 'M-1')).toLowerCase();
      expect(placed).toContain('ou=people,ou=gym1,');
      const dry = await dryRunActions(fx, [
        'import',
        '--config',
        fx.configPath,
        '--input',
        fx.rosterPath,
        ...NOW,
        '--school',
        'rs2',
      ]);
      expect(dry).toEqual([]);
      await importOk(fx, [MULTI], ['--school', 'rs2']);
      expect((await dnOf(fx, 'M-1')).toLowerCase()).toBe(placed);
      await importOk(fx, [MULTI]);
      expect((await dnOf(fx, 'M-1')).toLowerCase()).toBe(placed);
      expect((await fx.auditLines()).filter((line) => line.action === 'modrdn')).toEqual([]);
    } finally {
      await fx.dispose();
    }
  });

  it('finds a user of another school that joins a scoped school instead of creating it twice', async () => {
    const fx = await importFixture('never-scope-join');
    try {
      await importOk(fx, [{ ...MULTI, schools: 'gym1', classes: '5a' }]);
      const placed = (await dnOf(fx, 'M-1')).toLowerCase();
      await importOk(fx, [MULTI], ['--school', 'rs2']);
      const users = (await fx.users()).filter((entry) => entry.rostersyncRecordUid === 'M-1');
      expect(users).toHaveLength(1);
      expect(String(users[0]?.dn).toLowerCase()).toBe(placed);
      expect(values(users[0], 'rostersyncSchool').sort()).toEqual(['gym1', 'rs2']);
      expect(await members(fx, 'rs2-7b')).toEqual([placed]);
      expect(await members(fx, 'gym1-5a')).toEqual([placed]);
    } finally {
      await fx.dispose();
    }
  });
});

describe('hooks see the user as it is', () => {
  it('roles, schools and the entry’s attributes in every hook, never the password', async () => {
    const fx = await importFixture('never-hook-user');
    try {
      await fx.editConfig({
        hooks: [join(EXTENSIONS, 'record-user.js')],
        deletion_grace_period: { deactivation: 0, deletion: 0 },
      });
      await importOk(fx, [EVA, TOM]);
      await importOk(fx, [{ ...EVA, last: 'Kurz-Lang' }]);
      const calls = (await readFile(join(fx.stateDir, 'hook-users.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as {
              hook: string;
              recordUid: string;
              roles: string[];
              schools: string[];
              attributes: Record<string, string[]>;
            },
        );
      for (const hook of ['preCreate', 'preModify', 'preDelete', 'postDelete']) {
        const call = calls.find((entry) => entry.hook === hook);
        expect(call, hook).toBeDefined();
        expect(call?.roles, hook).toEqual(['student']);
        expect(call?.schools, hook).toEqual(['gym1']);
        expect(Object.keys(call?.attributes ?? {}), hook).toEqual(
          expect.arrayContaining(['givenName', 'sn', 'uid']),
        );
        expect(
          Object.keys(call?.attributes ?? {}).map((name) => name.toLowerCase()),
          hook,
        ).not.toContain('userpassword');
      }
      expect(calls.find((entry) => entry.hook === 'preModify')?.attributes.sn).toEqual(['Kurz']);
      expect(calls.find((entry) => entry.hook === 'preDelete')?.recordUid).toBe('S-2');
    } finally {
      await fx.dispose();
    }
  });
});
