import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { LineBreakNormalizer } from '../../src/roster/decode.js';
import { resolveDelimiter } from '../../src/roster/delimiter.js';
import { formatProblem, readRoster } from '../../src/roster/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/roster/${name}`, import.meta.url));

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
  scratch = await mkdtemp(join(tmpdir(), 'roster-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeScratch(name: string, content: string | Buffer): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, content);
  return file;
}

function chunksOf(...chunks: string[]): AsyncIterable<string> {
  return Readable.from(chunks) as AsyncIterable<string>;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('readRoster: a well-formed file', () => {
  const config = rosterConfig(
    {
      mapping: { ...MAPPING, classes: 'classes', email: 'email', birthday: 'birthday' },
      role_values: { Schueler: 'student', Lehrer: 'teacher' },
    },
    { schools: ['GS1', 'rs2'] },
  );

  it('reads records with quoted commas, multi-line cells, trimming and multi-value cells', async () => {
    const roster = await readRoster(fixture('basic.csv'), config);
    expect(roster.problems).toEqual([]);
    expect(roster.complete).toBe(true);
    expect(roster.rowCount).toBe(4);
    expect(roster.invalidRecordUids).toEqual([]);
    expect(roster.records).toEqual([
      {
        line: 2,
        recordUid: 'S-1',
        firstname: 'Anna',
        lastname: 'Meier',
        schools: ['GS1'],
        roles: ['student'],
        classes: [{ school: 'GS1', name: '5a' }],
        email: 'anna@example.org',
        birthday: '2012-03-04',
        attributes: {},
      },
      {
        line: 3,
        recordUid: 'S-2',
        firstname: 'Müller, Jr.',
        lastname: 'Hans',
        schools: ['GS1', 'rs2'],
        roles: ['student'],
        classes: [
          { school: 'GS1', name: '5b' },
          { school: 'rs2', name: '6c' },
          { school: 'GS1', name: '7d' },
        ],
        birthday: '2011-07-04',
        attributes: {},
      },
      {
        // After a three-line cell and a blank line.
        line: 7,
        recordUid: 'S-3',
        firstname: 'Carla',
        lastname: 'Schmidt',
        schools: ['rs2'],
        roles: ['teacher'],
        classes: [],
        attributes: {},
      },
      {
        // After a line of empty cells, which is skipped like a blank one.
        line: 9,
        recordUid: 'S-4',
        firstname: 'Dora',
        lastname: 'Quoted Spaces',
        schools: ['GS1'],
        roles: ['staff'],
        classes: [],
        email: 'dora.x@schule.de',
        birthday: '1980-09-01',
        attributes: {},
      },
    ]);
  });

  it('keeps line numbers right with Windows line breaks', async () => {
    const text =
      'uid,firstname,lastname,schools,role,notes\r\n\r\nS-1,A,B,gs1,student,"x\r\ny\r\nz"\r\nS-2,C,D,gs1,student,\r\n';
    const roster = await readRoster(await writeScratch('crlf.csv', text), rosterConfig());
    expect(roster.records.map((record) => [record.recordUid, record.line])).toEqual([
      ['S-1', 3],
      ['S-2', 6],
    ]);
  });

  it('maps only the mapped fields: username, password, action and attr:* appear when mapped', async () => {
    const text = [
      'uid,firstname,lastname,schools,role,login,secret,__action,mail aliases,unused',
      'S-1,A,B,gs1,student,a.b,Pa55 word,m," a@x.org , b@x.org,,a@x.org",ignored',
      'S-2,C,D,gs1,student,,,,,',
    ].join('\n');
    const mapping = {
      ...MAPPING,
      login: 'username',
      secret: 'password',
      __action: 'action',
      'mail aliases': 'attr:mailAlias',
    };
    const roster = await readRoster(await writeScratch('optional.csv', text), rosterConfig({ mapping }));
    expect(roster.problems).toEqual([]);
    expect(roster.records[0]).toMatchObject({
      username: 'a.b',
      password: 'Pa55 word',
      action: 'M',
      attributes: { mailAlias: ['a@x.org', 'b@x.org'] },
    });
    expect(roster.records[1]).not.toHaveProperty('username');
    expect(roster.records[1]).not.toHaveProperty('password');
    expect(roster.records[1]).not.toHaveProperty('action');
    expect(roster.records[1]?.attributes).toEqual({ mailAlias: [] });
    const withoutOptional = await readRoster(fixture('semicolon.csv'), rosterConfig({ delimiter: ';' }));
    expect(withoutOptional.records[0]).not.toHaveProperty('username');
    expect(withoutOptional.records[0]).not.toHaveProperty('email');
  });

  it('splits multi-value cells on csv.multi_value_separator', async () => {
    const text =
      'uid,firstname,lastname,schools,role,classes\nS-1,A,B,gs1 / rs2,teacher/ student /teacher,rs2-7a//5b\n';
    const roster = await readRoster(
      await writeScratch('separator.csv', text),
      rosterConfig({ multi_value_separator: '/', mapping: { ...MAPPING, classes: 'classes' } }),
    );
    expect(roster.problems).toEqual([]);
    expect(roster.records[0]).toMatchObject({
      schools: ['gs1', 'rs2'],
      roles: ['teacher', 'student'],
      classes: [
        { school: 'rs2', name: '7a' },
        { school: 'gs1', name: '5b' },
      ],
    });
  });

  it('checks a repeated cell once when it passes, and reports it on every row when it does not', async () => {
    const text = [
      'uid,firstname,lastname,schools,role,classes',
      'S-1,A,B,gs1,teacher,gs1-5a',
      'S-2,C,D,gs1,pupil,gs1-5a',
      'S-3,E,F,gs1,pupil,gs1-5a',
      'S-4,G,H,gs1,teacher,gs1-5a',
      'S-5,I,J,rs2,teacher,gs1-5a',
      '',
    ].join('\n');
    const roster = await readRoster(
      await writeScratch('repeated.csv', text),
      rosterConfig({ mapping: { ...MAPPING, classes: 'classes' } }),
    );
    // The unknown role is reported on both rows that have it.
    expect(roster.problems.map((problem) => [problem.line, problem.field])).toEqual([
      [3, 'role'],
      [4, 'role'],
    ]);
    const [first, second, third] = roster.records;
    expect(second?.schools).toBe(first?.schools);
    expect(second?.roles).toBe(first?.roles);
    expect(second?.classes).toBe(first?.classes);
    // The same classes cell in another school's row is that row's: without the prefix's school, the primary one.
    expect(third?.classes).toEqual([{ school: 'rs2', name: 'gs1-5a' }]);
  });

  it('matches headers exactly first, then ignoring case and surrounding whitespace', async () => {
    const mapping = {
      UID: 'record_uid',
      'first name': 'firstname',
      lastname: 'lastname',
      schools: 'schools',
      role: 'role',
      email: 'email',
    };
    const roster = await readRoster(fixture('header-spelling.csv'), rosterConfig({ mapping }));
    expect(roster.problems).toEqual([]);
    expect(roster.records[0]).toMatchObject({
      recordUid: 'S-1',
      firstname: 'Anna',
      email: 'right@example.org',
    });
  });

  it('accepts a header-only file as an empty roster', async () => {
    const roster = await readRoster(
      await writeScratch('empty-roster.csv', 'uid,firstname,lastname,schools,role\n'),
      rosterConfig(),
    );
    expect(roster).toMatchObject({ records: [], problems: [], rowCount: 0, complete: true });
  });
});

describe('readRoster: delimiters', () => {
  const expected = [
    {
      recordUid: 'S-1',
      classes: [
        { school: 'gs1', name: '5a' },
        { school: 'gs1', name: '5b' },
      ],
    },
    { recordUid: 'S-2', firstname: expect.any(String) as unknown },
  ];
  const cases = [
    { file: 'semicolon.csv', delimiter: ';', firstname: 'Semi;Colon' },
    { file: 'tab.tsv', delimiter: '\t', firstname: 'Tab "here"' },
    { file: 'pipe.csv', delimiter: '|', firstname: 'Pipe|here' },
  ];
  for (const { file, delimiter, firstname } of cases) {
    for (const configured of [delimiter, 'auto']) {
      it(`reads ${file} with delimiter ${JSON.stringify(configured)}`, async () => {
        const config = rosterConfig({ delimiter: configured, mapping: { ...MAPPING, classes: 'classes' } });
        const roster = await readRoster(fixture(file), config);
        expect(roster.problems).toEqual([]);
        expect(roster.records).toMatchObject(expected);
        expect(roster.records[1]?.firstname).toBe(firstname);
      });
    }
  }

  it('reads the comma fixture with auto', async () => {
    const roster = await readRoster(
      fixture('basic.csv'),
      rosterConfig({ mapping: { ...MAPPING }, role_values: { Schueler: 'student', Lehrer: 'teacher' } }),
    );
    expect(roster.problems).toEqual([]);
    expect(roster.records).toHaveLength(4);
  });

  it('sniffs the header line outside quotes; ties go to the comma', async () => {
    const sniff = async (...chunks: string[]) =>
      (await resolveDelimiter(chunksOf(...chunks), 'auto')).delimiter;
    expect(await sniff('"a,b,c";d;e\n1,2,3,4,5,6\n')).toBe(';');
    expect(await sniff('a;b,c\n')).toBe(',');
    expect(await sniff('a|b\t', 'c|d|e\n')).toBe('|');
    expect(await sniff('\n  \nuid\tname\n')).toBe('\t');
    expect(await sniff('single\n')).toBe(',');
    expect(await sniff('')).toBe(',');
  });

  it('hands back everything it read while sniffing', async () => {
    const { chunks } = await resolveDelimiter(chunksOf('a;', 'b\n1;', '2\n'), 'auto');
    expect(await collect(chunks)).toBe('a;b\n1;2\n');
  });
});

describe('readRoster: encodings', () => {
  const text =
    'uid;firstname;lastname;schools;role\nS-1;Jürgen;Öztürk-Weiß;gs1;student\nS-2;Renée;Bäcker;gs1;teacher\n';
  const names = (roster: Awaited<ReturnType<typeof readRoster>>) =>
    roster.records.map((record) => `${record.firstname} ${record.lastname}`);

  it('drops a UTF-8 byte order mark', async () => {
    const roster = await readRoster(fixture('bom.csv'), rosterConfig());
    expect(roster.problems).toEqual([]);
    expect(roster.records[0]).toMatchObject({ recordUid: 'S-1', firstname: 'Jürgen', lastname: 'Öztürk' });
  });

  for (const encoding of ['windows-1252', 'latin1', 'iso-8859-1'] as const) {
    it(`decodes ${encoding} umlauts`, async () => {
      const file = await writeScratch(`${encoding}.csv`, iconv.encode(text, encoding));
      const roster = await readRoster(file, rosterConfig({ encoding }));
      expect(roster.problems).toEqual([]);
      expect(names(roster)).toEqual(['Jürgen Öztürk-Weiß', 'Renée Bäcker']);
    });
  }

  it('decodes UTF-16LE with a byte order mark', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      iconv.encode(text.replaceAll('\n', '\r\n'), 'utf-16le'),
    ]);
    const roster = await readRoster(
      await writeScratch('utf16.csv', bytes),
      rosterConfig({ encoding: 'utf-16le' }),
    );
    expect(roster.problems).toEqual([]);
    expect(names(roster)).toEqual(['Jürgen Öztürk-Weiß', 'Renée Bäcker']);
    expect(roster.records[1]?.line).toBe(3);
  });

  it('reports a windows-1252 file read as UTF-8, naming the line and the fix', async () => {
    const file = await writeScratch('mislabelled.csv', iconv.encode(text, 'windows-1252'));
    const roster = await readRoster(file, rosterConfig({ delimiter: ';' }));
    expect(roster.records).toEqual([]);
    expect(roster.invalidRecordUids).toEqual(['S-1', 'S-2']);
    expect(roster.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^.*mislabelled\.csv:2:2: firstname: .*not valid UTF-8.*csv\.encoding: windows-1252/,
      ) as unknown,
      expect.stringMatching(/^.*mislabelled\.csv:3:2: firstname: .*csv\.encoding: windows-1252/) as unknown,
    ]);
  });

  it('joins \\r\\n pairs split between chunks', () => {
    const normalizer = new LineBreakNormalizer();
    const out =
      ['a\r', '\nb\r', 'c\r\n', '\r'].map((chunk) => normalizer.write(chunk)).join('') + normalizer.end();
    expect(out).toBe('a\nb\nc\n\n');
  });
});

describe('readRoster: a large file', () => {
  it('streams 100,000 rows', async () => {
    const file = join(scratch, 'large.csv');
    const out = createWriteStream(file);
    out.write('uid,firstname,lastname,schools,role,classes\n');
    for (let index = 1; index <= 100_000; index++) {
      if (!out.write(`S-${index},First${index},"Last, ${index}",gs${index % 7},student,${index % 13}a\n`)) {
        await once(out, 'drain');
      }
    }
    out.end();
    await finished(out);

    const roster = await readRoster(file, rosterConfig({ mapping: { ...MAPPING, classes: 'classes' } }));
    expect(roster.problems).toEqual([]);
    expect(roster.rowCount).toBe(100_000);
    expect(roster.records).toHaveLength(100_000);
    expect(roster.records[99_999]).toMatchObject({
      line: 100_001,
      recordUid: 'S-100000',
      lastname: 'Last, 100000',
    });
  });
});

describe('formatProblem', () => {
  it('writes file:line:column: field: message, leaving out what is unknown', () => {
    expect(
      formatProblem({
        file: 'roster.csv',
        line: 12,
        column: 3,
        field: 'email',
        message: "'x@' is not a valid e-mail address",
      }),
    ).toBe("roster.csv:12:3: email: 'x@' is not a valid e-mail address");
    expect(
      formatProblem({
        file: 'roster.csv',
        line: 7,
        message: 'expected 5 cells (as in the header), found 4; row skipped',
      }),
    ).toBe('roster.csv:7: expected 5 cells (as in the header), found 4; row skipped');
  });
});
