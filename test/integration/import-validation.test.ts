/**
 * Row validation (SPEC §4.2) end to end: every row is checked before anything is written, each problem
 * names the file, line and column, more problems than `tolerate_errors` means exit 1 and no write at all.
 * Also the shipped samples: the roster with deliberate mistakes and the windows-1252 office export.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { type ImportFixture, importFixture, rosterCsv, type RosterRow } from '../support/import.js';
import { logLines, reportsPosition } from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];

/** Whether some log line points at this line of the file (with or without a column). */
function reportsLine(stderr: string, file: string, line: number): boolean {
  if (stderr.includes(`${file}:${line}:`) || stderr.includes(`${file}:${line} `)) return true;
  return logLines(stderr).some((entry) => entry.file === file && entry.line === line);
}

/** The text of every log line about this line of the file. */
function linesAbout(stderr: string, file: string, line: number): string {
  return logLines(stderr)
    .filter(
      (entry) =>
        (entry.file === file && entry.line === line) ||
        (typeof entry.message === 'string' && entry.message.includes(`${file}:${line}:`)),
    )
    .map((entry) => JSON.stringify(entry))
    .join('\n');
}

/** The entries under the base DN but run state (the run lock's lease and containers, SPEC §5: ou=rostersync). */
async function entriesUnder(fx: ImportFixture): Promise<number> {
  const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
    scope: 'sub',
    attributes: ['1.1'],
  });
  const runState = `ou=rostersync,${fx.tree.baseDn}`.toLowerCase();
  return searchEntries.filter((entry) => !entry.dn.toLowerCase().endsWith(runState)).length;
}

const good: RosterRow = {
  id: 'G-1',
  first: 'Gina',
  last: 'Gut',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};

interface Case {
  name: string;
  /** The roster file's whole text. */
  csv: string;
  line: number;
  column: number;
  /** Words the problem's message must hold. */
  mentions: string[];
  /** Further positions that must be named. */
  alsoLines?: number[];
}

const cases: Case[] = [
  {
    name: 'an empty record uid',
    csv: rosterCsv([good, { id: '', first: 'Leo', last: 'Leer', schools: 'gym1', role: 'student' }]),
    line: 3,
    column: 1,
    mentions: ['empty'],
  },
  {
    name: 'a duplicate record uid',
    csv: rosterCsv([
      { ...good, id: 'D-1' },
      good,
      { id: 'D-1', first: 'Dora', last: 'Doppelt', schools: 'gym1', role: 'student' },
    ]),
    line: 4,
    column: 1,
    mentions: ['D-1', 'line 2'],
  },
  {
    name: 'an unknown role',
    csv: rosterCsv([good, { id: 'R-1', first: 'Rudi', last: 'Rolle', schools: 'gym1', role: 'janitor' }]),
    line: 3,
    column: 5,
    mentions: ['janitor'],
  },
  {
    name: 'an unknown school',
    csv: rosterCsv([good, { id: 'U-1', first: 'Uwe', last: 'Unbekannt', schools: 'gym9', role: 'student' }]),
    line: 3,
    column: 4,
    mentions: ['gym9'],
  },
  {
    name: 'a first name that is too long',
    csv: rosterCsv([
      good,
      { id: 'L-1', first: 'A'.repeat(300), last: 'Lang', schools: 'gym1', role: 'student' },
    ]),
    line: 3,
    column: 2,
    mentions: ['300'],
  },
  {
    name: 'a class name that is too long',
    csv: rosterCsv([
      good,
      {
        id: 'L-2',
        first: 'Klara',
        last: 'Klasse',
        schools: 'gym1',
        role: 'student',
        classes: `5a-${'x'.repeat(80)}`,
      },
    ]),
    line: 3,
    column: 6,
    mentions: ['longer'],
  },
  {
    name: 'an invalid e-mail address',
    csv: rosterCsv([
      good,
      { id: 'E-1', first: 'Emil', last: 'Mail', schools: 'gym1', role: 'teacher', email: 'emil.mail@' },
    ]),
    line: 3,
    column: 7,
    mentions: ['emil.mail@'],
  },
  {
    name: 'a NUL character in a name',
    csv: rosterCsv([
      good,
      { id: 'C-1', first: 'Nu\u0000ll', last: 'Byte', schools: 'gym1', role: 'student' },
    ]),
    line: 3,
    column: 2,
    mentions: ['U+0000'],
  },
  {
    name: 'a control character in a class name',
    csv: rosterCsv([
      good,
      { id: 'C-2', first: 'Bella', last: 'Glocke', schools: 'gym1', role: 'student', classes: '5a\u0007b' },
    ]),
    line: 3,
    column: 6,
    mentions: ['U+0007'],
  },
];

describe('row validation: nothing is written, each problem is named', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('validation');
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const importFile = (file: string): Promise<CliResult> =>
    fx.run(['import', '--config', fx.configPath, '--input', file, ...NOW]);

  it('a missing mapped column: exit 1, the message names the header', async () => {
    const file = join(fx.dir, 'no-email-column.csv');
    await writeFile(file, 'id,first,last,schools,role,classes\nG-1,Gina,Gut,gym1,student,5a\n');
    const result = await importFile(file);
    expect(result.code).toBe(1);
    expect(await entriesUnder(fx)).toBe(1);
    expect(await fx.auditLines()).toEqual([]);
    expect(reportsLine(result.stderr, file, 1)).toBe(true);
    expect(linesAbout(result.stderr, file, 1)).toContain("'email'");
  });

  for (const testCase of cases) {
    describe(testCase.name, () => {
      let file: string;
      let result: CliResult;
      beforeAll(async () => {
        file = join(fx.dir, `${testCase.name.replaceAll(' ', '-')}.csv`);
        await writeFile(file, testCase.csv);
        result = await importFile(file);
      });

      it('exit 1, nothing written, the problem reported on its line', async () => {
        expect(result.code).toBe(1);
        expect(await entriesUnder(fx)).toBe(1);
        expect(await fx.users()).toEqual([]);
        expect(await fx.auditLines()).toEqual([]);
        expect(reportsLine(result.stderr, file, testCase.line), result.stderr).toBe(true);
        const about = linesAbout(result.stderr, file, testCase.line);
        for (const word of testCase.mentions) expect(about).toContain(word);
        // The valid rows are not reported.
        const rowLines = testCase.csv.trimEnd().split('\n').length;
        for (let line = 2; line <= rowLines; line++) {
          if (line !== testCase.line)
            expect(reportsLine(result.stderr, file, line), `line ${line}`).toBe(false);
        }
      });

      it('the report names file:line:column', () => {
        expect(reportsPosition(result.stderr, file, testCase.line, testCase.column), result.stderr).toBe(
          true,
        );
      });
    });
  }
});

describe('tolerate_errors', () => {
  it('2 bad rows under tolerate_errors: 2 → exit 0, the good rows are applied', async () => {
    const fx = await importFixture('tolerate', { config: { tolerate_errors: 2 } });
    try {
      await fx.writeRoster([
        good,
        { id: 'B-1', first: 'Bert', last: 'Bad', schools: 'gym9', role: 'student' },
        { id: 'G-2', first: 'Greta', last: 'Gut', schools: 'rs2', role: 'teacher', classes: '7b' },
        { id: 'B-2', first: 'Berta', last: 'Bad', schools: 'gym1', role: 'janitor' },
      ]);
      const result = await fx.runImport(NOW);
      expect(result.code).toBe(0);
      expect((await fx.users()).map((user) => user.rostersyncRecordUid).sort()).toEqual(['G-1', 'G-2']);
      expect((await fx.groups()).map((group) => group.cn).sort()).toEqual(['gym1-5a', 'rs2-7b']);

      // A third bad row is one too many: exit 1 and nothing written, not even the new good row.
      const before = (await fx.auditLines()).length;
      await fx.writeRoster([
        good,
        { id: 'B-1', first: 'Bert', last: 'Bad', schools: 'gym9', role: 'student' },
        { id: 'G-2', first: 'Greta', last: 'Gut', schools: 'rs2', role: 'teacher', classes: '7b' },
        { id: 'B-2', first: 'Berta', last: 'Bad', schools: 'gym1', role: 'janitor' },
        { id: 'B-3', first: 'Bodo', last: 'Bad', schools: 'gym1', role: 'student', email: 'bodo@' },
        { id: 'G-3', first: 'Gerd', last: 'Gut', schools: 'gym1', role: 'student' },
      ]);
      const second = await fx.runImport(NOW);
      expect(second.code).toBe(1);
      expect((await fx.auditLines()).length).toBe(before);
      expect(await fx.user('G-3')).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});

describe('the shipped samples', () => {
  let fx: ImportFixture;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    fx = await importFixture('samples');
    env = {
      ROSTERSYNC_LDAP__URL: fx.tree.url,
      ROSTERSYNC_LDAP__BIND_DN: fx.tree.adminDn,
      ROSTERSYNC_LDAP__BIND_PASSWORD_FILE: fx.tree.adminPasswordFile,
      ROSTERSYNC_LDAP__BASE_DN: fx.tree.baseDn,
      ROSTERSYNC_STATE_DIR: fx.stateDir,
    };
  });
  afterAll(async () => {
    await fx.dispose();
  });

  describe('roster-with-mistakes.csv', () => {
    const file = resolve('samples/roster-with-mistakes.csv');
    let result: CliResult;
    // Line → words its report must hold, and the column (where the mistake is one cell).
    const mistakes: { line: number; column?: number; mentions: string[] }[] = [
      { line: 4, column: 1, mentions: ['empty'] },
      { line: 14, column: 1, mentions: ['S-100906', 'line 6'] },
      { line: 7, column: 5, mentions: ['Hausmeister'] },
      { line: 9, column: 4, mentions: ['gs9'] },
      { line: 10, column: 7, mentions: ['anna.schmidt@'] },
      { line: 12, column: 8, mentions: ['31.02.2011'] },
      { line: 15, mentions: ['7'] },
      { line: 17, column: 6, mentions: ['longer'] },
    ];
    beforeAll(async () => {
      result = await fx.run(
        ['import', '--config', resolve('samples/config.yaml'), '--input', file, '--dry-run', ...NOW],
        env,
      );
    });

    it('exit 1; every documented mistake is reported on its line, the valid lines are not', async () => {
      expect(result.code).toBe(1);
      for (const mistake of mistakes) {
        expect(reportsLine(result.stderr, file, mistake.line), `line ${mistake.line}`).toBe(true);
        const about = linesAbout(result.stderr, file, mistake.line);
        for (const word of mistake.mentions) expect(about, `line ${mistake.line}`).toContain(word);
      }
      for (const line of [2, 3, 5, 6, 8, 11, 13, 16, 18, 19, 20, 21, 22]) {
        expect(reportsLine(result.stderr, file, line), `line ${line}`).toBe(false);
      }
      expect(await fx.auditLines()).toEqual([]);
      expect(await fx.users()).toEqual([]);
    });

    it('each mistake in a cell is reported with file:line:column', () => {
      for (const mistake of mistakes) {
        if (mistake.column === undefined) continue;
        expect(
          reportsPosition(result.stderr, file, mistake.line, mistake.column),
          `line ${mistake.line}`,
        ).toBe(true);
      }
    });
  });

  it('office-export-latin1.csv dry-runs with exit 0 and decodes the umlauts', async () => {
    const result = await fx.run(
      [
        'import',
        '--config',
        resolve('samples/office-export.yaml'),
        '--input',
        resolve('samples/office-export-latin1.csv'),
        '--dry-run',
        '--format',
        'json',
        ...NOW,
      ],
      env,
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      version: number;
      actions: { kind: string; recordUid?: string; attributes?: Record<string, string[]> }[];
    };
    expect(plan.version).toBe(2);
    const creates = plan.actions.filter((action) => action.kind === 'create');
    expect(creates).toHaveLength(120);
    const byId = new Map(creates.map((action) => [action.recordUid, action.attributes ?? {}]));
    expect(byId.get('40121')?.givenName).toEqual(['Björn']);
    expect(byId.get('40137')?.givenName).toEqual(['Zoë']);
    expect(byId.get('40137')?.sn).toEqual(['Müller']);
    expect(byId.get('40137')?.uid).toEqual(['z.mueller']);
    expect(byId.get('40107')?.rostersyncRole).toEqual(['student:school:rs2']);
    const text = JSON.stringify(creates);
    expect(text).not.toContain('\uFFFD');
    expect(text).not.toMatch(/Ã[¤¶¼]/);
    // A dry run writes nothing.
    expect(await fx.users()).toEqual([]);
    expect(await fx.auditLines()).toEqual([]);
  });
});
