/**
 * `incremental: true` against the real server: users whose entry is the very version an earlier run found
 * holding the very same row are planned from a listing; every change — to the row, to the entry by hand
 * (values, place, existence), to the config — is planned as a full run plans it, and a dry run plans
 * exactly what `--full` plans.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const NOW = ['--now', new Date().toISOString()];

const rows: RosterRow[] = Array.from({ length: 12 }, (_, index) => ({
  id: `S-${index}`,
  first: `Kim${index}`,
  last: 'Berg',
  // S-11 is in two schools: unchanged by the full comparison, settled all the same.
  schools: index === 11 ? 'gym1,rs2' : index % 3 === 0 ? 'rs2' : 'gym1',
  role: 'student',
  classes: index % 2 === 0 ? '5a' : '6b',
}));

const replace = (type: string, values: string[]) =>
  new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

/** The plan a dry run prints as JSON: its actions, unchanged count and problems. */
async function dryPlan(fx: ImportFixture, extra: string[] = []): Promise<unknown> {
  const result = await fx.runImport(['--dry-run', '--format', 'json', ...NOW, ...extra]);
  expect(result.code).toBe(0);
  const plan = JSON.parse(result.stdout) as { actions: unknown; unchanged: number; problems: unknown };
  return { actions: plan.actions, unchanged: plan.unchanged, problems: plan.problems };
}

describe('incremental import', () => {
  let fx: ImportFixture;
  const settledLog = (stderr: string) => /(\d+) of (\d+) users settled/.exec(stderr)?.slice(1, 3).map(Number);

  beforeAll(async () => {
    fx = await importFixture('incremental', { config: { incremental: true } });
    await fx.writeRoster(rows);
    // The first import creates everyone; the second finds them settled and saves their keys.
    expect((await fx.runImport(NOW)).code).toBe(0);
    const second = await fx.runImport(NOW);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('every user is read');
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('plans settled users from the listing and writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    expect(settledLog(result.stderr)).toEqual([12, 12]);
    expect((await fx.auditLines()).length).toBe(before);
    expect(await readdir(join(fx.stateDir, 'settled'))).toHaveLength(1);
  });

  it('repairs values, a place and memberships changed by hand, as --full would', async () => {
    const base = fx.tree.baseDn;
    const changed = await fx.user('S-1');
    await fx.tree.client.modify(String(changed?.dn), [replace('givenName', ['Hand'])]);
    // A settled user moved by hand into another school's container.
    const moved = await fx.user('S-2');
    await fx.tree.client.modifyDN(String(moved?.dn), `uid=${String(moved?.uid)},ou=people,ou=rs2,${base}`);
    // A settled user taken out of its class group by hand: the entry itself is untouched.
    const left = await fx.user('S-4');
    const group = (await fx.groups()).find((entry) => entry.cn === 'gym1-5a');
    await fx.tree.client.modify(String(group?.dn), [
      new Change({
        operation: 'delete',
        modification: new Attribute({ type: 'member', values: [String(left?.dn)] }),
      }),
    ]);

    expect(await dryPlan(fx)).toEqual(await dryPlan(fx, ['--full']));
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    // The two whose entries changed were read in full; everyone else came from the listing.
    expect(settledLog(result.stderr)).toEqual([10, 12]);
    expect((await fx.user('S-1'))?.givenName).toBe('Kim1');
    expect((await fx.user('S-2'))?.dn).toBe(String(moved?.dn));
    const members = (await fx.groups()).find((entry) => entry.cn === 'gym1-5a')?.member;
    expect([members].flat()).toContain(String(left?.dn));
    // The entries it wrote have new CSNs: the next run reads them once more, the one after lists them.
    expect(settledLog((await fx.runImport(NOW)).stderr)).toEqual([10, 12]);
    expect(settledLog((await fx.runImport(NOW)).stderr)).toEqual([12, 12]);
  });

  it('plans a changed row, a deleted entry and a missing row as a full run does', async () => {
    const deleted = await fx.user('S-5');
    await fx.tree.client.del(String(deleted?.dn));
    const changedRows = rows
      .filter((row) => row.id !== 'S-7')
      .map((row) => (row.id === 'S-3' ? { ...row, last: 'Lund' } : row));
    await fx.writeRoster(changedRows);

    expect(await dryPlan(fx)).toEqual(await dryPlan(fx, ['--full']));
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    // S-3 (row changed) and S-7 (row gone) are read; S-5 has no entry to list.
    expect(settledLog(result.stderr)).toEqual([9, 11]);
    expect((await fx.user('S-3'))?.sn).toBe('Lund');
    expect(await fx.user('S-5')).toBeDefined();
    expect((await fx.user('S-7'))?.rostersyncDeactivatedTimestamp).toBeDefined();
  });

  it('reports an entry of the source without a record uid, as a full run does', async () => {
    // The report is a problem: tolerated here, so that the run goes on (and saves its keys under this config).
    await fx.editConfig({ tolerate_errors: 1 });
    expect((await fx.runImport(NOW)).code).toBe(0);
    expect((await fx.runImport(NOW)).code).toBe(0);
    const dn = `uid=nobody,ou=people,ou=gym1,${fx.tree.baseDn}`;
    // rostersyncUser requires a record uid: only an entry of another class can lack it.
    await fx.tree.client.add(dn, {
      objectClass: ['inetOrgPerson', 'extensibleObject'],
      uid: 'nobody',
      cn: 'No Body',
      sn: 'Body',
      rostersyncSourceUid: 'sis-test',
      rostersyncSchool: 'gym1',
    });
    const plan = await dryPlan(fx);
    expect(plan).toEqual(await dryPlan(fx, ['--full']));
    expect(JSON.stringify(plan)).toContain('entry of this source has no record uid; left alone');
    const result = await fx.runImport(NOW);
    expect(settledLog(result.stderr)).toEqual([11, 12]);
    await fx.tree.client.del(dn);
    await fx.editConfig({ tolerate_errors: 0 });
  });

  it('reads every user under another config, with --full, and from an unreadable file', async () => {
    const [file] = await readdir(join(fx.stateDir, 'settled'));
    const full = await fx.runImport([...NOW, '--full']);
    expect(full.code).toBe(0);
    expect(full.stderr).toContain('--full, every user is read');

    await fx.editConfig({ tolerate_errors: 1 });
    const otherConfig = await fx.runImport(NOW);
    expect(otherConfig.code).toBe(0);
    expect(otherConfig.stderr).toContain('saved under another config, version or scope');
    expect(settledLog((await fx.runImport(NOW)).stderr)).toBeDefined();

    await writeFile(join(fx.stateDir, 'settled', String(file)), 'not keys');
    const unreadable = await fx.runImport(NOW);
    expect(unreadable.code).toBe(0);
    expect(unreadable.stderr).toContain('the settled users file is unreadable');
  });

  it('a run stopped before its first write (the safety limit) leaves the next run all its work', async () => {
    // Its keys are saved when the plan is made; a user it would have written holds no key, so the next run
    // reads it again whatever the first one got to write.
    const current = rows.filter((row) => !['S-7', 'S-8', 'S-10'].includes(row.id));
    await fx.writeRoster(current.map((row) => (row.id === 'S-4' ? { ...row, first: 'Kira' } : row)));
    const before = (await fx.auditLines()).length;
    const stopped = await fx.runImport([...NOW, '--max-deletions', '0']);
    expect(stopped.code).toBe(3);
    expect((await fx.auditLines()).length).toBe(before);

    expect(await dryPlan(fx)).toEqual(await dryPlan(fx, ['--full']));
    expect((await fx.runImport(NOW)).code).toBe(0);
    expect((await fx.user('S-4'))?.givenName).toBe('Kira');
    for (const id of ['S-8', 'S-10'])
      expect((await fx.user(id))?.rostersyncDeactivatedTimestamp).toBeDefined();
    // Nothing is left for a full run to do.
    const after = (await dryPlan(fx, ['--full'])) as { actions: unknown[] };
    expect(after.actions).toEqual([]);
  });

  it('reads everyone at once when many rows changed, skipping the users planned from the listing', async () => {
    // Seven of the nine present rows change: above a quarter, the unsettled users come from one full read.
    const renamed = new Set(['S-0', 'S-1', 'S-2', 'S-3', 'S-5', 'S-6']);
    const current = rows
      .filter((row) => !['S-7', 'S-8', 'S-10'].includes(row.id))
      .map((row) => (renamed.has(row.id) ? { ...row, last: 'Voss' } : row));
    await fx.writeRoster(current);
    const [file] = await readdir(join(fx.stateDir, 'settled'));
    const keysFile = join(fx.stateDir, 'settled', String(file));
    const saved = await readFile(keysFile);

    expect(await dryPlan(fx)).toEqual(await dryPlan(fx, ['--full']));
    // Dry runs save no keys.
    expect(await readFile(keysFile)).toEqual(saved);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    // Only S-9 and S-11 are as before: S-4's row has its old first name again.
    expect(settledLog(result.stderr)).toEqual([2, 12]);
    expect((await fx.user('S-4'))?.givenName).toBe('Kim4');
    for (const id of renamed) expect((await fx.user(id))?.sn).toBe('Voss');
    expect(((await dryPlan(fx, ['--full'])) as { actions: unknown[] }).actions).toEqual([]);
  });

  it('a run whose keys cannot be kept still does its work, and the next run reads everyone', async () => {
    const [file] = await readdir(join(fx.stateDir, 'settled'));
    const keysFile = join(fx.stateDir, 'settled', String(file));
    // A directory where the key file belongs (with something in it): neither read nor replaced.
    await rm(keysFile);
    await mkdir(join(keysFile, 'in-the-way'), { recursive: true });
    await fx.writeRoster(rows.map((row) => (row.id === 'S-9' ? { ...row, first: 'Jo' } : row)));
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the settled users could not be read; every user is read');
    expect(result.stderr).toContain('the settled users could not be saved; the next run reads every user');
    expect((await fx.user('S-9'))?.givenName).toBe('Jo');
    expect(((await dryPlan(fx, ['--full'])) as { actions: unknown[] }).actions).toEqual([]);

    await rm(keysFile, { recursive: true });
    const next = await fx.runImport(NOW);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain('no settled users saved yet');
    expect(settledLog((await fx.runImport(NOW)).stderr)).toEqual([12, 12]);
  });

  it('keeps one set of keys per --school partition', async () => {
    const first = await fx.runImport([...NOW, '--school', 'rs2']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('no settled users saved yet');
    const second = await fx.runImport([...NOW, '--school', 'rs2']);
    // S-11 keeps its other school (gym1) from its entry in a run scoped to rs2: it is read every time.
    expect(settledLog(second.stderr)).toEqual([4, 5]);
    expect(await readdir(join(fx.stateDir, 'settled'))).toHaveLength(2);
  });
});
