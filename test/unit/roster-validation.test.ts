import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { formatProblem, readRoster, type Roster } from '../../src/roster/index.js';

const MAPPING = {
  uid: 'record_uid',
  firstname: 'firstname',
  lastname: 'lastname',
  schools: 'schools',
  role: 'role',
};

function rosterConfig(csv: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      source_uid: 'district',
      ldap: { base_dn: 'dc=example,dc=org' },
      csv: { mapping: MAPPING, ...csv },
      ...extra,
    },
    'test.yaml',
  );
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'roster-validation-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes `lines` to `name` in the scratch directory and reads it; problems are formatted relative to it. */
async function readLines(
  name: string,
  lines: string[],
  config: Config,
): Promise<Roster & { messages: string[] }> {
  const file = join(scratch, name);
  await writeFile(file, lines.join('\n') + '\n');
  const roster = await readRoster(file, config);
  const messages = roster.problems.map((problem) => formatProblem({ ...problem, file: name }));
  return { ...roster, messages };
}

describe('readRoster: row validation', () => {
  const header = 'uid,firstname,lastname,schools,role,classes,email,birthday,login,action,description,secret';
  const mapping = {
    ...MAPPING,
    classes: 'classes',
    email: 'email',
    birthday: 'birthday',
    login: 'username',
    action: 'action',
    description: 'attr:description',
    secret: 'password',
  };
  const config = rosterConfig({ mapping }, { schools: ['gs1', 'rs2'] });
  const row = (cells: Partial<Record<string, string>>) =>
    [
      cells.uid ?? '',
      cells.firstname ?? 'Eva',
      cells.lastname ?? 'Lang',
      cells.schools ?? 'gs1',
      cells.role ?? 'student',
      cells.classes ?? '',
      cells.email ?? '',
      cells.birthday ?? '',
      cells.login ?? '',
      cells.action ?? '',
      cells.description ?? '',
      cells.secret ?? '',
    ]
      .map((cell) => (cell.includes(',') ? `"${cell}"` : cell))
      .join(',');
  const lines = [
    header, // 1
    row({ uid: 'S-1' }), // 2: valid
    row({ uid: '' }), // 3
    row({ uid: 'S-1', firstname: 'Dup' }), // 4
    row({ uid: 'S-5', firstname: '' }), // 5
    row({ uid: 'S-6', lastname: '' }), // 6
    row({ uid: 'S-7', schools: ' , ' }), // 7
    row({ uid: 'S-8', schools: 'gs1,xx9' }), // 8
    row({ uid: 'S-9', role: 'student,pilot' }), // 9
    row({ uid: 'S-10', classes: `5a,${'c'.repeat(65)}` }), // 10
    row({ uid: 'S-11', email: 'x@' }), // 11
    row({ uid: 'S-12', birthday: '31.02.2012' }), // 12
    row({ uid: 'S-13', login: 'u'.repeat(257) }), // 13
    row({ uid: 'S-14', action: 'X' }), // 14
    row({ uid: 'S-15', description: `short,${'d'.repeat(1025)}` }), // 15
    'S-16,Too,Few,gs1', // 16
    row({ uid: 'S-17', firstname: 'Be\u0007ll' }), // 17
    row({ uid: 'S-18', lastname: 'Nul\u0000l', secret: 'Geheim\u0001' }), // 18
    row({ uid: 'x'.repeat(257) }), // 19
    row({ uid: 'S-20', firstname: 'n'.repeat(257), email: `${'e'.repeat(250)}@x.org` }), // 20
    row({ uid: 'S-21', email: 'two@at@x.org' }), // 21
    row({ uid: 'S-22', email: 'with space@x.org' }), // 22
    row({ uid: 'S-23', email: 'nodot@localhost' }), // 23
    row({ uid: 'S-24', birthday: '2012-13-01' }), // 24
    row({ uid: 'S-25', birthday: '12/03/2012' }), // 25
    row({ uid: 'S-26', email: '@x.org' }), // 26
    row({ uid: 'S-27', role: '' }), // 27
    row({ uid: 'S-28', action: 'd', birthday: '29.2.2012', email: 'Ok@Example.Org' }), // 28: valid
  ];

  it('reports every problem with file:line:column and keeps only valid rows', async () => {
    const roster = await readLines('roster.csv', lines, config);
    expect(roster.messages).toEqual([
      'roster.csv:3:1: record_uid: must not be empty',
      "roster.csv:4:1: record_uid: duplicate record_uid 'S-1' (first seen on line 2)",
      'roster.csv:5:2: firstname: must not be empty',
      'roster.csv:6:3: lastname: must not be empty',
      'roster.csv:7:4: schools: at least one school is required',
      "roster.csv:8:4: schools: unknown school 'xx9' (known: gs1, rs2)",
      "roster.csv:9:5: role: unknown role 'pilot' (known: student, teacher, staff, school_admin)",
      `roster.csv:10:6: classes: class name '${'c'.repeat(65)}' is longer than 64 characters`,
      "roster.csv:11:7: email: 'x@' is not a valid e-mail address",
      "roster.csv:12:8: birthday: '31.02.2012' is not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)",
      'roster.csv:13:9: username: is 257 characters long (at most 256)',
      "roster.csv:14:10: action: unknown action 'X' (expected A, M or D, or empty)",
      'roster.csv:15:11: attr:description: a value is longer than 1024 characters',
      'roster.csv:16:5: expected 12 cells (as in the header), found 4; row skipped',
      'roster.csv:17:2: firstname: contains a control character (U+0007)',
      'roster.csv:18:3: lastname: contains a control character (U+0000)',
      'roster.csv:18:12: password: contains a control character (U+0001)',
      'roster.csv:19:1: record_uid: is 257 characters long (at most 256)',
      'roster.csv:20:2: firstname: is 257 characters long (at most 256)',
      'roster.csv:20:7: email: is 256 characters long (at most 254)',
      "roster.csv:21:7: email: 'two@at@x.org' is not a valid e-mail address",
      "roster.csv:22:7: email: 'with space@x.org' is not a valid e-mail address",
      "roster.csv:23:7: email: 'nodot@localhost' is not a valid e-mail address",
      "roster.csv:24:8: birthday: '2012-13-01' is not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)",
      "roster.csv:25:8: birthday: '12/03/2012' is not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)",
      "roster.csv:26:7: email: '@x.org' is not a valid e-mail address",
      'roster.csv:27:5: role: at least one role is required',
    ]);
    expect(roster.rowCount).toBe(27);
    expect(roster.records.map((record) => record.recordUid)).toEqual(['S-1', 'S-28']);
    expect(roster.records[1]).toMatchObject({ action: 'D', birthday: '2012-02-29', email: 'Ok@example.org' });
  });

  it('keeps the uids of bad rows (not empty, not duplicates) so their users count as present', async () => {
    const roster = await readLines('roster.csv', lines, config);
    expect(roster.invalidRecordUids).toEqual([
      ...[
        'S-5',
        'S-6',
        'S-7',
        'S-8',
        'S-9',
        'S-10',
        'S-11',
        'S-12',
        'S-13',
        'S-14',
        'S-15',
        'S-16',
        'S-17',
        'S-18',
      ],
      'x'.repeat(257),
      ...['S-20', 'S-21', 'S-22', 'S-23', 'S-24', 'S-25', 'S-26', 'S-27'],
    ]);
  });

  it('attaches the record uid and header to problems, and never the password', async () => {
    const roster = await readLines('roster.csv', lines, config);
    expect(roster.problems.find((problem) => problem.line === 11)).toMatchObject({
      line: 11,
      column: 7,
      field: 'email',
      header: 'email',
      recordUid: 'S-11',
    });
    expect(roster.messages.join('\n')).not.toContain('Geheim');
  });

  it('names both lines of a duplicate and keeps the first row', async () => {
    const roster = await readLines(
      'dup.csv',
      [
        'uid,firstname,lastname,schools,role',
        'A,x,y,gs1,student',
        'B,x,y,gs1,student',
        'A,z,y,gs1,student',
        'A,w,y,gs1,student',
      ],
      rosterConfig(),
    );
    expect(roster.messages).toEqual([
      "dup.csv:4:1: record_uid: duplicate record_uid 'A' (first seen on line 2)",
      "dup.csv:5:1: record_uid: duplicate record_uid 'A' (first seen on line 2)",
    ]);
    expect(roster.records.map((record) => [record.recordUid, record.firstname])).toEqual([
      ['A', 'x'],
      ['B', 'x'],
    ]);
    expect(roster.invalidRecordUids).toEqual([]);
  });

  it('counts a bad row as the first sighting of its uid', async () => {
    const roster = await readLines(
      'dup-after-bad.csv',
      ['uid,firstname,lastname,schools,role', 'A,,y,gs1,student', 'A,x,y,gs1,student'],
      rosterConfig(),
    );
    expect(roster.messages).toEqual([
      'dup-after-bad.csv:2:2: firstname: must not be empty',
      "dup-after-bad.csv:3:1: record_uid: duplicate record_uid 'A' (first seen on line 2)",
    ]);
    expect(roster.invalidRecordUids).toEqual(['A']);
    expect(roster.records).toEqual([]);
  });

  it('maps roles through csv.role_values, exactly first, then ignoring case', async () => {
    const roster = await readLines(
      'roles.csv',
      [
        'uid,firstname,lastname,schools,role',
        'A,x,y,gs1,Schueler',
        'B,x,y,gs1,"lehrer, STUDENT"',
        'C,x,y,gs1,Hausmeister',
      ],
      rosterConfig({ role_values: { Schueler: 'student', Lehrer: 'teacher', schueler: 'staff' } }),
    );
    expect(roster.records.map((record) => record.roles)).toEqual([['student'], ['teacher', 'student']]);
    expect(roster.messages).toEqual([
      "roles.csv:4:5: role: unknown role 'Hausmeister' (known: student, teacher, staff, school_admin)",
    ]);
  });

  it('checks school ids when no schools are configured', async () => {
    const roster = await readLines(
      'schools.csv',
      [
        'uid,firstname,lastname,schools,role',
        'A,x,y,"gs1,Real-Schule_2.b",student',
        'B,x,y,"gs1,-bad,b d",student',
      ],
      rosterConfig(),
    );
    expect(roster.records[0]?.schools).toEqual(['gs1', 'Real-Schule_2.b']);
    expect(roster.messages).toEqual([
      "schools.csv:3:4: schools: '-bad' is not a valid school id (letters, digits, '_', '.', '-'; starting with a letter or digit)",
      "schools.csv:3:4: schools: 'b d' is not a valid school id (letters, digits, '_', '.', '-'; starting with a letter or digit)",
    ]);
  });

  it('gives a class to the school named by its prefix, the longest matching one, else to the primary school', async () => {
    const roster = await readLines(
      'classes.csv',
      [
        'uid,firstname,lastname,schools,role,classes',
        'A,x,y,"gs,gs-nord",student,"GS-NORD-5a,gs-6b,7c,xy-8d,gs-nord-5a"',
      ],
      rosterConfig({ mapping: { ...MAPPING, classes: 'classes' } }),
    );
    expect(roster.records[0]?.classes).toEqual([
      { school: 'gs-nord', name: '5a' },
      { school: 'gs', name: '6b' },
      { school: 'gs', name: '7c' },
      { school: 'gs', name: 'xy-8d' },
    ]);
  });
});

describe('readRoster: problems with the file as a whole', () => {
  it('names every mapped column missing from the header and stops', async () => {
    const mapping = { ...MAPPING, 'E-Mail': 'email', Klasse: 'classes' };
    const roster = await readLines(
      'missing.csv',
      ['uid,firstname,lastname,schools,role', 'A,x,y,gs1,student'],
      rosterConfig({ mapping }),
    );
    expect(roster.messages).toEqual([
      "missing.csv:1: email: column 'E-Mail' (mapped to email) is not in the header (found: 'uid', 'firstname', 'lastname', 'schools', 'role')",
      "missing.csv:1: classes: column 'Klasse' (mapped to classes) is not in the header (found: 'uid', 'firstname', 'lastname', 'schools', 'role')",
    ]);
    expect(roster.problems[0]).toMatchObject({ line: 1, header: 'E-Mail', field: 'email' });
    expect(roster).toMatchObject({ records: [], rowCount: 0, complete: false });
  });

  it('names a required field that no column is mapped to', async () => {
    const { lastname: _lastname, ...withoutLastname } = MAPPING;
    const roster = await readLines(
      'unmapped.csv',
      ['uid,firstname,lastname,schools,role', 'A,x,y,gs1,student'],
      rosterConfig({ mapping: withoutLastname }),
    );
    expect(roster.messages).toEqual([
      "unmapped.csv:1: lastname: no column is mapped to the required field 'lastname' (see csv.mapping)",
    ]);
    expect(roster.complete).toBe(false);
  });

  it('reports an empty file', async () => {
    const roster = await readLines('empty.csv', [''], rosterConfig());
    expect(roster.messages).toEqual(['empty.csv:1: the file is empty (expected a header line)']);
    expect(roster.complete).toBe(false);
  });

  it('reports broken quoting and marks the roster incomplete', async () => {
    const roster = await readLines(
      'quotes.csv',
      [
        'uid,firstname,lastname,schools,role',
        'A,x,y,gs1,student',
        'B,"x"y,z,gs1,student',
        'C,x,y,gs1,student',
      ],
      rosterConfig(),
    );
    expect(roster.messages[0]).toMatch(/^quotes\.csv:3: a quoted cell must end at the delimiter/);
    expect(roster.records[0]?.recordUid).toBe('A');
    expect(roster.complete).toBe(false);
  });

  it('rejects when the file cannot be read, whatever the delimiter setting', async () => {
    const missing = join(scratch, 'no-such-file.csv');
    await expect(readRoster(missing, rosterConfig())).rejects.toThrow(/ENOENT/);
    await expect(readRoster(missing, rosterConfig({ delimiter: ';' }))).rejects.toThrow(/ENOENT/);
  });
});
