/**
 * What an import or purge leaves on disk and shows, against the real server: output files readable by
 * their owner only, a passwords file that is safe to open in a spreadsheet and says which line is current,
 * purge plans in `purge.mode: move` that say (and, as LDIF, do) what the purge does, and usernames from
 * names in other scripts.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const execFileAsync = promisify(execFile);

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

/** Rows of the passwords file as a CSV reader sees them, header first. */
async function passwordRows(fx: ImportFixture): Promise<string[][]> {
  return parseCsv(await readFile(join(fx.stateDir, 'passwords.csv'), 'utf8'));
}

async function setConfig(fx: ImportFixture, extra: Record<string, unknown>): Promise<void> {
  const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(fx.configPath, stringify({ ...config, ...extra }));
}

const students: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
];

describe('output files are private', () => {
  let fx: ImportFixture;
  let umask: number;
  beforeEach(async () => {
    // The worst case: a umask that takes nothing away. Only an explicit mode keeps these files private.
    umask = process.umask(0);
    fx = await importFixture('output-modes');
    await mkdir(fx.stateDir, { recursive: true });
  });
  afterEach(async () => {
    process.umask(umask);
    await fx.dispose();
  });

  it('import: --plan-out, --summary-json, the passwords file and the audit log end up 0600; wider ones are narrowed and logged', async () => {
    const audit = join(fx.stateDir, 'audit.jsonl');
    const planOut = join(fx.dir, 'plan.json');
    const summary = join(fx.dir, 'summary.json');
    // An audit log and a plan file from an older version, readable by everyone.
    await writeFile(audit, '');
    await chmod(audit, 0o644);
    await writeFile(planOut, '{}');
    await chmod(planOut, 0o644);

    await fx.writeRoster(students);
    const result = await fx.runImport(['--plan-out', planOut, '--summary-json', summary]);
    expect(result.code).toBe(0);
    expect((await fx.users()).map((user) => user.uid).sort()).toEqual(['e.kurz', 'j.meier']);

    expect(await modeOf(planOut)).toBe(0o600);
    expect(await modeOf(summary)).toBe(0o600);
    expect(await modeOf(audit)).toBe(0o600);
    expect(await modeOf(join(fx.stateDir, 'passwords.csv'))).toBe(0o600);
    expect(JSON.parse(await readFile(planOut, 'utf8'))).toMatchObject({ job: 'import' });
    expect((await fx.auditLines()).length).toBeGreaterThan(0);
    expect(result.stderr).toContain(`${audit} was readable by others (mode 0644); narrowed to 0600`);
    expect(result.stderr).toContain(`${planOut} was readable by others (mode 0644); narrowed to 0600`);
  });

  it('purge: --summary-json is 0600 and a world-readable audit log is narrowed', async () => {
    await fx.writeRoster(students);
    expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
    await fx.writeRoster([students[0]!]);
    expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
    const audit = join(fx.stateDir, 'audit.jsonl');
    await chmod(audit, 0o644);

    const summary = join(fx.dir, 'purge-summary.json');
    const result = await fx.run([
      'purge',
      '--config',
      fx.configPath,
      '--now',
      '2026-12-24',
      '--summary-json',
      summary,
    ]);
    expect(result.code).toBe(0);
    expect(await fx.user('S-2')).toBeUndefined();
    expect(await modeOf(summary)).toBe(0o600);
    expect(await modeOf(audit)).toBe(0o600);
    expect(result.stderr).toContain(`${audit} was readable by others (mode 0644); narrowed to 0600`);
  });
});

describe('passwords file', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('output-passwords');
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('neutralises record uids a spreadsheet would run as formulas; the directory keeps them as they are', async () => {
    const formulas = ['=HYPERLINK("http://evil.example";"x")', '+491234', '-2+3', '@SUM(1+1)'];
    await fx.writeRoster(
      formulas.map((id, index) => ({
        id,
        first: 'Kim',
        last: `Formula${index}`,
        schools: 'gym1',
        role: 'student',
      })),
    );
    expect((await fx.runImport()).code).toBe(0);

    for (const id of formulas) expect(await fx.user(id)).toBeDefined();
    const text = await readFile(join(fx.stateDir, 'passwords.csv'), 'utf8');
    for (const line of text.split('\n')) {
      for (const cell of line.split(',')) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const rows = await passwordRows(fx);
    expect(
      rows
        .slice(1)
        .map((row) => row[1])
        .sort(),
    ).toEqual(formulas.map((id) => `'${id}`).sort());
    // The passwords themselves are listed unchanged: each one logs its user in.
    for (const [username, , password] of rows.slice(1)) {
      const user = (await fx.users()).find((entry) => entry.uid === username);
      expect(await fx.canBind(String(user?.dn), password ?? '')).toBe(true);
    }
  });

  it('lists run id and time on every line; of a username listed twice, the latest line is the password that works', async () => {
    await fx.writeRoster(students);
    const first = await fx.runImport();
    expect(first.code).toBe(0);
    // The entry is lost after its password was listed (as when a run stops between the two); the next
    // run creates the user again with a new password.
    const lost = await fx.user('S-2');
    await fx.tree.client.del(String(lost?.dn));
    const second = await fx.runImport();
    expect(second.code).toBe(0);

    const rows = await passwordRows(fx);
    expect(rows[0]).toEqual(['username', 'record_uid', 'password', 'run_id', 'time']);
    const lines = rows.slice(1).filter((row) => row[0] === 'e.kurz');
    expect(lines).toHaveLength(2);
    const [older, newer] = lines as [string[], string[]];
    expect(older[3]).not.toBe(newer[3]);
    for (const row of [older, newer]) {
      expect(row[3]).toMatch(/\S/);
      expect(row[4]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(Date.parse(newer[4] ?? '')).toBeGreaterThanOrEqual(Date.parse(older[4] ?? ''));

    const dn = String((await fx.user('S-2'))?.dn);
    expect(await fx.canBind(dn, newer[2] ?? '')).toBe(true);
    expect(await fx.canBind(dn, older[2] ?? '')).toBe(false);
    // The test helper (last line wins) agrees.
    expect((await fx.passwords()).get('e.kurz')).toBe(newer[2]);
  });
});

describe('purge plans in purge.mode: move', () => {
  let fx: ImportFixture;
  let moveTo: string;
  beforeAll(async () => {
    fx = await importFixture('output-purge-move');
    moveTo = `ou=removed,${fx.tree.baseDn}`;
    await setConfig(fx, { purge: { mode: 'move', move_to_dn: moveTo } });
    await fx.writeRoster(students);
    expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
    await fx.writeRoster([students[0]!]);
    expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('the table says lock and move, with the target, in its sections and its summary', async () => {
    const result = await fx.run(['purge', '--config', fx.configPath, '--now', '2026-12-24', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`lock and move to ${moveTo} — gym1 (1)\n  e.kurz  (S-2)`);
    expect(result.stdout).toMatch(new RegExp(`Summary\\n(.*\\n)*  lock and move to ${moveTo} +1\\n`));
    expect(result.stdout).not.toMatch(/^delete/m);
    expect(result.stdout).not.toMatch(/^ {2}delete /m);
    expect(result.stderr).toContain(`1 locked and moved to ${moveTo}`);
  });

  it('the LDIF is what the purge sends: applied with ldapmodify, the user is locked and moved, not deleted', async () => {
    const before = await fx.user('S-2');
    const result = await fx.run([
      'purge',
      '--config',
      fx.configPath,
      '--now',
      '2026-12-24',
      '--dry-run',
      '--format',
      'ldif',
    ]);
    expect(result.code).toBe(0);
    const ldif = result.stdout;
    expect(ldif.split('\n')[0]).toMatch(/^# rostersync purge plan for source sis-test: /);
    expect(ldif).not.toContain('roster purge');
    expect(ldif).not.toContain(`dn: ${String(before?.dn)}\nchangetype: delete`);

    const file = join(fx.dir, 'purge.ldif');
    await writeFile(file, ldif);
    await execFileAsync('ldapmodify', [
      '-x',
      '-H',
      fx.tree.url,
      '-D',
      fx.tree.adminDn,
      '-y',
      fx.tree.adminPasswordFile,
      '-f',
      file,
    ]);
    const moved = await fx.user('S-2');
    expect(moved?.dn).toBe(`uid=e.kurz,${moveTo}`);
    expect(moved?.entryUUID).toBe(before?.entryUUID);
    expect(moved?.pwdAccountLockedTime).toBe('000001010000Z');
    const group = (await fx.groups()).find((entry) => String(entry.cn) === 'gym1-5a');
    expect([group?.member ?? []].flat()).not.toContain(String(before?.dn));
  });
});

describe('usernames from names in other scripts', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('output-scripts');
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('a Greek name is romanised as Greeks write it; an Arabic one gives the record uid', async () => {
    await fx.writeRoster([
      { id: 'S-10', first: 'Γιώργος', last: 'Παπαδόπουλος', schools: 'gym1', role: 'student', classes: '5a' },
      {
        id: 'S-11',
        first: 'Ευάγγελος',
        last: 'Μπακογιάννης',
        schools: 'gym1',
        role: 'student',
        classes: '5a',
      },
      { id: 'S-4711', first: 'علي', last: 'حسن', schools: 'gym1', role: 'student', classes: '5a' },
    ]);
    const result = await fx.runImport();
    expect(result.code).toBe(0);

    const greek = await fx.user('S-10');
    expect(greek?.uid).toBe('g.papadopoulos');
    expect(greek?.dn).toBe(`uid=g.papadopoulos,ou=people,ou=gym1,${fx.tree.baseDn}`);
    expect(greek?.sn).toBe('Παπαδόπουλος');
    expect((await fx.user('S-11'))?.uid).toBe('e.bakogiannis');

    const arabic = await fx.user('S-4711');
    expect(arabic?.uid).toBe('s-4711');
    expect(arabic?.givenName).toBe('علي');
    const password = (await fx.passwords()).get('s-4711') ?? '';
    expect(await fx.canBind(String(arabic?.dn), password)).toBe(true);
  });
});
