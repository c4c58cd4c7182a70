/**
 * `archive.dir` against the real server (SPEC §8, seed 004): a user is archived before it is deleted (its
 * entry and every group value naming it), a failed archive keeps the user as it was, and `rostersync archive
 * restore` brings it back locked until an import reactivates it.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArchive } from '../../src/archive/index.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
];
const withoutS2 = [everyone[0]!, everyone[2]!];

const values = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

/** Grace 0/0: the import deletes a user missing from the roster at once. posix: memberUid values too. */
async function setUp(name: string, archiveDir: (dir: string) => string): Promise<ImportFixture> {
  const fx = await importFixture(name, {
    config: { ldap: { posix: true }, deletion_grace_period: { deactivation: 0, deletion: 0 } },
  });
  await fx.editConfig({ archive: { dir: archiveDir(fx.dir) } });
  await fx.writeRoster(everyone);
  expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  return fx;
}

/** The class group gym1-5a: its member DNs (lower case) and memberUids. */
async function classGroup(fx: ImportFixture): Promise<{ members: string[]; memberUids: string[] }> {
  const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
    scope: 'sub',
    filter: '(cn=gym1-5a)',
    attributes: ['member', 'memberUid'],
  });
  const group = searchEntries[0];
  return {
    members: values(group?.member as string | string[]).map((dn) => dn.toLowerCase()),
    memberUids: values(group?.memberUid as string | string[]),
  };
}

describe('archive before delete (import, grace 0)', () => {
  let fx: ImportFixture;
  let s2: Record<string, string | string[]>;
  let library: string;
  const archiveFile = () => join(fx.dir, 'archive', '2026-11-23', 'e.kurz.ldif');

  beforeAll(async () => {
    fx = await setUp('archive', (dir) => join(dir, 'archive'));
    s2 = (await fx.user('S-2'))!;
    // Another tool's group naming S-2: the archive records it wherever it is under the base DN.
    library = `cn=library,${fx.tree.baseDn}`;
    await fx.tree.client.add(library, {
      objectClass: ['groupOfNames'],
      cn: 'library',
      member: [String(s2.dn), String((await fx.user('S-1'))?.dn)],
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('the plan names the archive file; a dry run writes none', async () => {
    await fx.writeRoster(withoutS2);
    const result = await fx.runImport(['--now', '2026-11-23', '--dry-run', '--format', 'json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      actions: { kind: string; username?: string; archive?: string }[];
    };
    const deletes = plan.actions.filter((action) => action.kind === 'delete');
    expect(deletes).toEqual([expect.objectContaining({ username: 'e.kurz', archive: archiveFile() })]);
    await expect(stat(join(fx.dir, 'archive'))).rejects.toThrow(/ENOENT/);

    const ldif = await fx.runImport(['--now', '2026-11-23', '--dry-run', '--format', 'ldif']);
    expect(ldif.stdout).toContain(
      `# S-2: its entry and group memberships are archived first to ${archiveFile()}`,
    );
    expect(await fx.user('S-2')).toBeDefined();
  });

  it('writes the entry and every membership to archive.dir/DAY/USERNAME.ldif (0700/0600), then deletes', async () => {
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code).toBe(0);
    expect(await fx.user('S-2')).toBeUndefined();

    expect(await mode(join(fx.dir, 'archive'))).toBe(0o700);
    expect(await mode(join(fx.dir, 'archive', '2026-11-23'))).toBe(0o700);
    expect(await mode(archiveFile())).toBe(0o600);
    const text = await readFile(archiveFile(), 'utf8');
    expect(text).not.toMatch(/userPassword/i);
    const archived = parseArchive(text, archiveFile());
    expect(archived.dn).toBe(s2.dn);
    for (const name of ['uid', 'sn', 'givenName', 'uidNumber', 'rostersyncRecordUid', 'rostersyncRole'])
      expect(archived.attributes[name], name).toEqual(values(s2[name]));
    expect(archived.attributes.entryUUID).toEqual([s2.entryUUID]);
    expect(archived.attributes.createTimestamp).toEqual([s2.createTimestamp]);
    const classDn = (await fx.tree.client.search(fx.tree.baseDn, { scope: 'sub', filter: '(cn=gym1-5a)' }))
      .searchEntries[0]?.dn;
    expect(archived.memberships).toEqual(
      expect.arrayContaining([
        { group: classDn, attribute: 'member', value: s2.dn },
        { group: classDn, attribute: 'memberUid', value: 'e.kurz' },
        { group: library, attribute: 'member', value: s2.dn },
      ]),
    );
    expect(archived.memberships).toHaveLength(3);
    const audit = await fx.auditLines();
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'archive', file: archiveFile(), user: 'e.kurz' }),
    );
    // Written before the removals: the archive line comes before the class group loses the user.
    const archivedAt = audit.findIndex((line) => line.action === 'archive');
    const groupChanged = audit.findIndex((line) => line.action === 'modify' && line.dn === classDn);
    expect(archivedAt).toBeLessThan(groupChanged);
  });

  it('restore --dry-run shows the add and the group changes, and writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.run([
      'archive',
      'restore',
      '--config',
      fx.configPath,
      '--dry-run',
      '--format',
      'json',
      archiveFile(),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { job: string; actions: { kind: string; dn: string }[] };
    expect(plan.job).toBe('restore');
    expect(plan.actions.map((action) => action.kind)).toEqual(['restore', 'modify-group', 'modify-group']);
    expect(await fx.user('S-2')).toBeUndefined();
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('restore brings the user back: new entry, its groups, locked; the next import reactivates it', async () => {
    const result = await fx.run(['archive', 'restore', '--config', fx.configPath, archiveFile()]);
    expect(result.code, result.stderr).toBe(0);
    const back = await fx.user('S-2');
    expect(back?.dn).toBe(s2.dn);
    expect(back?.entryUUID).not.toBe(s2.entryUUID);
    expect(back?.uidNumber).toBe(s2.uidNumber);
    expect(back?.pwdAccountLockedTime).toBe('000001010000Z');
    expect(back?.rostersyncMissingSince).toBeDefined();
    const group = await classGroup(fx);
    expect(group.members).toContain(String(s2.dn).toLowerCase());
    expect(group.memberUids).toContain('e.kurz');
    const { searchEntries: libraryNow } = await fx.tree.client.search(library, { scope: 'base' });
    expect(values(libraryNow[0]?.member as string | string[])).toContain(s2.dn);
    // The reservation that kept the username taken is gone: the user holds it again.
    const reserved = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(&(objectClass=account)(uid=e.kurz))',
    });
    expect(reserved.searchEntries).toHaveLength(0);

    // A password for the test to bind with. ppolicy lifts a lock whenever an admin sets a password (that is
    // how an admin unlocks a restored user by hand), so the restore's lock is put back as it was.
    const replace = (type: string, value: string) =>
      new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
    await fx.tree.client.modify(String(s2.dn), replace('userPassword', 'Back-Again-2026'));
    await fx.tree.client.modify(
      String(s2.dn),
      replace('pwdAccountLockedTime', String(back?.pwdAccountLockedTime)),
    );
    expect(await fx.canBind(String(s2.dn), 'Back-Again-2026')).toBe(false);

    await fx.writeRoster(everyone);
    const reimport = await fx.runImport(['--now', '2026-11-24']);
    expect(reimport.code, reimport.stderr).toBe(0);
    const reactivated = await fx.user('S-2');
    expect(reactivated?.entryUUID).toBe(back?.entryUUID);
    expect(reactivated?.pwdAccountLockedTime).toBeUndefined();
    expect(reactivated?.rostersyncMissingSince).toBeUndefined();
    expect(await fx.canBind(String(s2.dn), 'Back-Again-2026')).toBe(true);
  });

  it('restore is refused when the username is taken since, and writes nothing', async () => {
    // S-3 leaves and is archived; then someone else gets its username.
    await fx.writeRoster([everyone[0]!, everyone[1]!]);
    expect((await fx.runImport(['--now', '2026-11-25'])).code).toBe(0);
    const file = join(fx.dir, 'archive', '2026-11-25', 't.bach.ldif');
    const s3Dn = parseArchive(await readFile(file, 'utf8'), file).dn;
    await fx.tree.client.add(`uid=t.bach,${fx.tree.baseDn}`, {
      objectClass: ['inetOrgPerson'],
      uid: 't.bach',
      cn: 'Tilo Bach',
      sn: 'Bach',
    });
    const groupBefore = await classGroup(fx);
    const before = (await fx.auditLines()).length;

    const result = await fx.run(['archive', 'restore', '--config', fx.configPath, file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot restore t.bach from ${file}: the username t.bach is taken since by uid=t.bach,${fx.tree.baseDn}`,
    );
    expect(await fx.user('S-3')).toBeUndefined();
    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(uid=t.bach)',
    });
    expect(searchEntries.map((entry) => entry.dn)).not.toContain(s3Dn);
    expect(await classGroup(fx)).toEqual(groupBefore);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('a file that is not an archive is a usage error naming it', async () => {
    const bogus = join(fx.dir, 'bogus.ldif');
    await writeFile(bogus, 'version: 1\n\nuid: nobody\n');
    const result = await fx.run(['archive', 'restore', '--config', fx.configPath, bogus]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bogus}:3: expected a dn: line`);
  });
});

describe('an archive that cannot be written', () => {
  it('fails the delete (exit 1): the user stays exactly as it was, group memberships included', async () => {
    // archive.dir under a regular file: no directory can be made there.
    const fx = await setUp('archive-fail', (dir) => join(dir, 'not-a-dir', 'archive'));
    try {
      await writeFile(join(fx.dir, 'not-a-dir'), 'a file\n');
      const s2 = await fx.user('S-2');
      const groupBefore = await classGroup(fx);
      expect(groupBefore.memberUids).toContain('e.kurz');

      await fx.writeRoster(withoutS2);
      const result = await fx.runImport(['--now', '2026-11-23']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('cannot write the archive');
      const still = await fx.user('S-2');
      expect(still?.entryUUID).toBe(s2?.entryUUID);
      expect(await classGroup(fx)).toEqual(groupBefore);
      expect(await fx.auditLines()).toContainEqual(
        expect.objectContaining({ action: 'archive', result: 'error', user: 'e.kurz' }),
      );
    } finally {
      await fx.dispose();
    }
  });
});

describe('archive before the purge moves a user (purge.mode move)', () => {
  it("archives the due user under the purge's day, then locks and moves it", async () => {
    const fx = await importFixture('archive-purge', {
      config: { deletion_grace_period: { deactivation: 0, deletion: 30 } },
    });
    try {
      const moveTo = `ou=removed,${fx.tree.baseDn}`;
      await mkdir(join(fx.dir, 'archive'));
      await fx.editConfig({
        archive: { dir: join(fx.dir, 'archive') },
        purge: { mode: 'move', move_to_dn: moveTo },
      });
      await fx.writeRoster(everyone);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      const s2 = await fx.user('S-2');
      const library = `cn=library,${fx.tree.baseDn}`;
      await fx.tree.client.add(library, {
        objectClass: ['groupOfNames'],
        cn: 'library',
        member: [String(s2?.dn), String((await fx.user('S-1'))?.dn)],
      });
      await fx.writeRoster(withoutS2);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      // Locked by the grace period, not deleted: nothing archived yet.
      expect(await readdir(join(fx.dir, 'archive'))).toEqual([]);

      const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-24']);
      expect(result.code, result.stderr).toBe(0);
      const file = join(fx.dir, 'archive', '2026-12-24', 'e.kurz.ldif');
      const archived = parseArchive(await readFile(file, 'utf8'), file);
      expect(archived.dn).toBe(s2?.dn);
      expect(archived.attributes.entryUUID).toEqual([s2?.entryUUID]);
      // Its class group let it go with the lock; another tool's group still names it.
      expect(archived.memberships).toEqual([{ group: library, attribute: 'member', value: s2?.dn }]);
      expect((await fx.user('S-2'))?.dn).toBe(`uid=e.kurz,${moveTo}`);
    } finally {
      await fx.dispose();
    }
  });
});

describe('archive before a lifecycle rule deletes', () => {
  it("archives each user the rule deletes under the run's day", async () => {
    const fx = await importFixture('archive-lifecycle', {
      config: {
        lifecycle: {
          rules: [{ name: 'drop-unused', trigger: 'never_logged_in', days: 0, roles: ['student'] }],
        },
      },
    });
    try {
      await fx.editConfig({ archive: { dir: join(fx.dir, 'archive') } });
      await fx.writeRoster(everyone);
      expect((await fx.runImport()).code).toBe(0);
      const s2 = await fx.user('S-2');

      const result = await fx.run(['lifecycle', '--config', fx.configPath]);
      expect(result.code, result.stderr).toBe(0);
      expect(await fx.user('S-2')).toBeUndefined();
      // The run's day (the real clock's, in the zone): one directory, whatever the day is.
      const days = await readdir(join(fx.dir, 'archive'));
      expect(days).toHaveLength(1);
      const day = join(fx.dir, 'archive', days[0]!);
      expect((await readdir(day)).sort()).toEqual(['e.kurz.ldif', 'j.meier.ldif', 't.bach.ldif']);
      const archived = parseArchive(await readFile(join(day, 'e.kurz.ldif'), 'utf8'), 'e.kurz.ldif');
      expect(archived.attributes.entryUUID).toEqual([s2?.entryUUID]);
      expect(archived.memberships.map((membership) => membership.attribute)).toEqual(['member']);
    } finally {
      await fx.dispose();
    }
  });
});
