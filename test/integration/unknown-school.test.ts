/**
 * `import --school ID` with a school nobody knows is a usage error (exit 2), found before anything is
 * written: known schools are the config's `schools` when set, otherwise this source's schools in the
 * directory plus those of the roster being imported. Ids compare case-insensitively.
 */
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const NOW = ['--now', '2026-11-23'];

const GYM1: RosterRow[] = [
  { id: 'G-1', first: 'Gina', last: 'Alt', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'G-2', first: 'Gerd', last: 'Brandt', schools: 'gym1', role: 'teacher' },
];
const RS2: RosterRow[] = [
  { id: 'R-1', first: 'Rita', last: 'Ost', schools: 'rs2', role: 'student', classes: '7b' },
];

/** Every entry of the subtree with all user and operational attributes (timestamps, CSNs), sorted. */
async function wholeTree(client: Client, baseDn: string): Promise<string> {
  const { searchEntries } = await client.search(baseDn, { scope: 'sub', attributes: ['*', '+'] });
  const entries = searchEntries.map((entry) =>
    Object.entries(entry)
      .map(([name, value]) => {
        const list = (Array.isArray(value) ? value : [value]).map((item) =>
          Buffer.isBuffer(item) ? item.toString('base64') : String(item),
        );
        return `${name}: ${list.sort().join(' | ')}`;
      })
      .sort()
      .join('\n'),
  );
  return entries.sort().join('\n\n');
}

describe('import --school with an unknown school, schools taken from the directory and the roster', () => {
  let fx: ImportFixture;

  beforeAll(async () => {
    // No `schools` list in the config: the directory and the roster say which schools exist.
    fx = await importFixture('unknown-school', { config: { schools: undefined } });
    await fx.writeRoster(GYM1);
    const first = await fx.runImport(NOW);
    expect(first.code, first.stderr).toBe(0);
    expect(await fx.users()).toHaveLength(2);
  });

  afterAll(async () => {
    await fx?.dispose();
  });

  it('exits 2 naming the unknown school and the known ones, and writes nothing', async () => {
    // The roster no longer lists gym1: gym1 is known from the directory only, rs2 from the roster.
    await fx.writeRoster(RS2);
    const before = await wholeTree(fx.tree.client, fx.tree.baseDn);

    const result = await fx.runImport([...NOW, '--school', 'nosuch']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nosuch/);
    expect(result.stderr).toMatch(/gym1/);
    expect(result.stderr).toMatch(/rs2/);
    expect(result.stderr).toMatch(/known schools \(from the directory and the roster\)/);
    expect(await wholeTree(fx.tree.client, fx.tree.baseDn)).toBe(before);
    expect(await fx.users()).toHaveLength(2);
  });

  it('names only the unknown ones when several are given', async () => {
    await fx.writeRoster(RS2);
    const result = await fx.runImport([...NOW, '--dry-run', '--school', 'gym1', '--school', 'nosuch']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown school 'nosuch'/);
    expect(result.stderr).not.toMatch(/unknown schools? '?gym1/);
  });

  it('accepts a school known from the directory alone, in any letter case', async () => {
    await fx.writeRoster(RS2);
    const result = await fx.runImport([...NOW, '--dry-run', '--school', 'GYM1']);

    expect(result.code, result.stderr).toBe(0);
    // In scope: both gym1 users, missing from this roster; the dry run shows their deletion and writes nothing.
    expect(result.stdout).toMatch(/g\.alt/);
  });

  it('accepts a school known from the roster alone', async () => {
    await fx.writeRoster(RS2);
    const result = await fx.runImport([...NOW, '--school', 'rs2']);

    expect(result.code, result.stderr).toBe(0);
    const users = await fx.users();
    expect(users.map((user) => user.rostersyncRecordUid).sort()).toEqual(['G-1', 'G-2', 'R-1']);
  });
});

describe('import --school with an unknown school, schools listed in the config', () => {
  let fx: ImportFixture;

  beforeAll(async () => {
    fx = await importFixture('unknown-school-listed', { config: { schools: ['gym1', 'rs2'] } });
    await fx.writeRoster(GYM1);
    const first = await fx.runImport(NOW);
    expect(first.code, first.stderr).toBe(0);
  });

  afterAll(async () => {
    await fx?.dispose();
  });

  it('exits 2 naming the unknown school and the configured ones, and writes nothing', async () => {
    const before = await wholeTree(fx.tree.client, fx.tree.baseDn);

    const result = await fx.runImport([...NOW, '--school', 'nosuch']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nosuch/);
    expect(result.stderr).toMatch(/gym1, rs2/);
    expect(await wholeTree(fx.tree.client, fx.tree.baseDn)).toBe(before);
  });

  it('accepts a configured school without users yet', async () => {
    const result = await fx.runImport([...NOW, '--dry-run', '--school', 'RS2']);
    expect(result.code, result.stderr).toBe(0);
  });
});
