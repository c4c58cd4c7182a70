/**
 * `rostersync purge` against the real server: deletes only due users of this source with a purge role,
 * takes them out of every group first, honours --dry-run and purge.mode move.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'A-1', first: 'Ada', last: 'Admin', schools: 'gym1', role: 'school_admin' },
];

const values = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

async function setUp(name: string, config: Record<string, unknown> = {}): Promise<ImportFixture> {
  const fx = await importFixture(name, { config });
  await fx.writeRoster(everyone);
  expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  // S-2 and A-1 leave; grace 0/30: locked now, purge timestamp 2026-12-23 00:00 Berlin.
  await fx.writeRoster([everyone[0]!, everyone[2]!]);
  expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  return fx;
}

describe('purge', () => {
  let fx: ImportFixture;
  let foreignGroup: string;
  beforeAll(async () => {
    fx = await setUp('purge');
    // Another tool's group naming S-2 and someone else: S-2's value must go, the group stays.
    const s2 = await fx.user('S-2');
    const s1 = await fx.user('S-1');
    foreignGroup = `cn=library,${fx.tree.baseDn}`;
    await fx.tree.client.add(foreignGroup, {
      objectClass: ['groupOfNames'],
      cn: 'library',
      member: [String(s2?.dn), String(s1?.dn)],
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('deletes nobody before the purge day', async () => {
    const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-22T22:00:00Z']);
    expect(result.code).toBe(0);
    expect(await fx.user('S-2')).toBeDefined();
  });

  it('--dry-run on the day shows the plan and writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-23', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('delete');
    expect(result.stdout).toContain('e.kurz');
    expect((await fx.auditLines()).length).toBe(before);
    expect(await fx.user('S-2')).toBeDefined();
  });

  it('on the day: deletes the due student, leaves no member value behind, skips the school admin', async () => {
    const s2 = await fx.user('S-2');
    const summaryFile = `${fx.dir}/purge-summary.json`;
    const result = await fx.run([
      'purge',
      '--config',
      fx.configPath,
      '--now',
      '2026-12-23',
      '--summary-json',
      summaryFile,
    ]);
    expect(result.code).toBe(0);
    expect(await fx.user('S-2')).toBeUndefined();
    // The school admin is due too, but no role of it is in purge.roles: skipped and named.
    expect(await fx.user('A-1')).toBeDefined();
    expect(result.stderr).toMatch(/purge skips a\.admin .*no role in purge\.roles/);
    const { readFile } = await import('node:fs/promises');
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as { skipped: { username: string }[] };
    expect(summary.skipped.map((user) => user.username)).toEqual(['a.admin']);

    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(|(objectClass=groupOfNames)(objectClass=posixGroup))',
      attributes: ['member', 'memberUid'],
    });
    const all = searchEntries.flatMap((entry) =>
      values(entry.member as string | string[]).map((dn) => dn.toLowerCase()),
    );
    expect(all).not.toContain(String(s2?.dn).toLowerCase());
    const library = searchEntries.find((entry) => entry.dn === foreignGroup);
    expect(values(library?.member as string | string[])).toHaveLength(1);
    // Its username stays reserved.
    const reserved = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: '(&(objectClass=account)(uid=e.kurz))',
    });
    expect(reserved.searchEntries).toHaveLength(1);
  });

  it('a second purge on the same day has nothing left to do', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-23']);
    expect(result.code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });
});

describe('purge.mode move', () => {
  it('moves the due user to purge.move_to_dn, locked, instead of deleting it', async () => {
    const fx = await importFixture('purge-move');
    try {
      const moveTo = `ou=removed,${fx.tree.baseDn}`;
      const { writeFile } = await import('node:fs/promises');
      const { parse, stringify } = await import('yaml');
      const { readFile } = await import('node:fs/promises');
      const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(fx.configPath, stringify({ ...config, purge: { mode: 'move', move_to_dn: moveTo } }));
      await fx.writeRoster(everyone);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      const password = (await fx.passwords()).get('e.kurz') ?? '';
      const before = await fx.user('S-2');
      await fx.writeRoster([everyone[0]!, everyone[2]!, everyone[3]!]);
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);

      const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-24']);
      expect(result.code).toBe(0);
      const moved = await fx.user('S-2');
      expect(moved?.dn).toBe(`uid=e.kurz,${moveTo}`);
      expect(moved?.entryUUID).toBe(before?.entryUUID);
      expect(moved?.pwdAccountLockedTime).toBe('000001010000Z');
      expect(await fx.canBind(`uid=e.kurz,${moveTo}`, password)).toBe(false);
    } finally {
      await fx.dispose();
    }
  });
});
