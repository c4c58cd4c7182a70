/**
 * Roster files that must not be taken at face value, end to end against slapd: a roster cut off in
 * its last row removes no one (SPEC §4.5), a mapped column twice in the header stops the run before
 * anything is written, and a byte order mark decides the encoding (SPEC §4.1).
 */
import { writeFile } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Entry, importExpecting, many, mustUser, one } from '../support/grace-helpers.js';
import {
  type ImportFixture,
  importFixture,
  ROSTER_HEADER,
  type RosterRow,
  rosterCsv,
} from '../support/import.js';

const student = (n: number): RosterRow => ({
  id: `STU-${1000 + n}`,
  first: `Kim${String.fromCharCode(96 + n)}`,
  last: 'Berger',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
});
const ROWS = [1, 2, 3, 4].map(student);
const LAST = ROWS[3] as RosterRow;

/** Every user entry keyed by record uid, without what a bind changes. */
async function snapshot(fx: ImportFixture): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  for (const user of await fx.users()) {
    const { pwdLastSuccess: _lastSuccess, ...rest } = user;
    out[one(user, 'rostersyncRecordUid') ?? ''] = rest;
  }
  return out;
}

const LIFECYCLE_ATTRIBUTES = [
  'pwdAccountLockedTime',
  'pwdEndTime',
  'shadowExpire',
  'rostersyncMissingSince',
  'rostersyncPurgeTimestamp',
  'rostersyncDeactivatedTimestamp',
];

describe('a roster cut off in its last row, with tolerate_errors: 5', () => {
  let fx: ImportFixture;
  let before: Record<string, Entry>;
  beforeAll(async () => {
    // Deactivates a missing user at once: what the cut row must not cause.
    fx = await importFixture('roster-cut', {
      config: { tolerate_errors: 5, deletion_grace_period: { deactivation: 0, deletion: 30 } },
    });
    await fx.writeRoster(ROWS);
    await importExpecting(fx, 0, []);
    before = await snapshot(fx);
    expect(Object.keys(before).sort()).toEqual(ROWS.map((row) => row.id));
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const full = rosterCsv(ROWS);
  // The first three rows whole, then the start of the fourth (line 5), with no line break after it.
  const head = rosterCsv(ROWS.slice(0, 3));
  const lastLine = full.slice(head.length).trimEnd();
  const cuts = [
    { name: 'inside the record uid', text: head + lastLine.slice(0, 'STU-10'.length) },
    { name: 'after a few cells', text: head + lastLine.slice(0, 'STU-1004,Kimd,Be'.length) },
    { name: 'one cell short', text: head + lastLine.slice(0, lastLine.lastIndexOf(',')) },
    { name: 'inside an open quoted cell', text: `${head}STU-1004,"Kim` },
  ];

  for (const { name, text } of cuts) {
    it(`cut ${name}: exits 1 naming the line, and the directory is untouched`, async () => {
      expect(text.endsWith('\n')).toBe(false);
      // A change elsewhere in the roster proves that nothing at all is written, not just no removal.
      const changed = text.replace('STU-1001,Kima,Berger', 'STU-1001,Kima,Bergmann');
      await writeFile(fx.rosterPath, changed);

      const result = await fx.runImport([]);
      expect(result.code).toBe(1);
      const output = result.stdout + result.stderr;
      expect(output).toContain(`${fx.rosterPath}:5:`);
      expect(output).toMatch(/cut off/);
      expect(output).toContain('the roster could not be read completely; nothing is written');

      expect(await snapshot(fx)).toEqual(before);
      const cutUser = await mustUser(fx, LAST.id);
      for (const attribute of LIFECYCLE_ATTRIBUTES) expect(cutUser[attribute], attribute).toBeUndefined();
      expect(one(await mustUser(fx, 'STU-1001'), 'sn')).toBe('Berger');
    });
  }

  it('reads a last row with every cell and no line break as a row: nothing changes', async () => {
    await writeFile(fx.rosterPath, full.trimEnd());
    await importExpecting(fx, 0, []);
    expect(await snapshot(fx)).toEqual(before);
  });

  // Last, as it changes the directory: the same config does remove a user who is really missing.
  it('deactivates the last user once a complete roster leaves them out', async () => {
    await fx.writeRoster(ROWS.slice(0, 3));
    await importExpecting(fx, 0, []);
    expect(one(await mustUser(fx, LAST.id), 'pwdAccountLockedTime')).toBe('000001010000Z');
  });
});

describe('a mapped column twice in the header', () => {
  let fx: ImportFixture;
  afterEach(async () => {
    await fx.dispose();
  });

  it('exits 1 naming both columns, and no user is created', async () => {
    fx = await importFixture('roster-dup-header');
    const header = [...ROSTER_HEADER, 'first'];
    const lines = ROWS.map((row) =>
      [row.id, row.first, row.last, row.schools, row.role, row.classes, '', 'Other'].join(','),
    );
    await writeFile(fx.rosterPath, `${[header.join(','), ...lines].join('\n')}\n`);

    const result = await fx.runImport([]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      `${fx.rosterPath}:1:8: firstname: column 'first' (mapped to firstname) appears 2 times in the header: column 2 'first' and column 8 'first'`,
    );
    expect(await fx.users()).toEqual([]);
  });

  it('lets a repeated column nobody maps pass', async () => {
    fx = await importFixture('roster-dup-unmapped');
    const header = [...ROSTER_HEADER, 'note', 'note'];
    const lines = ROWS.map((row) =>
      [row.id, row.first, row.last, row.schools, row.role, row.classes, '', 'a', 'b'].join(','),
    );
    await writeFile(fx.rosterPath, `${[header.join(','), ...lines].join('\n')}\n`);
    await importExpecting(fx, 0, []);
    expect((await fx.users()).map((user) => one(user, 'rostersyncRecordUid')).sort()).toEqual(
      ROWS.map((row) => row.id),
    );
  });
});

describe('a byte order mark decides the encoding', () => {
  const rows: RosterRow[] = [
    { id: 'ENC-1', first: 'Jürgen', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'ENC-2', first: 'Renée', last: 'Öztürk-Weiß', schools: 'gym1', role: 'teacher' },
  ];
  const cases = [
    {
      name: 'UTF-8 with csv.encoding: windows-1252',
      configured: 'windows-1252',
      bytes: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rosterCsv(rows), 'utf8')]),
    },
    {
      // What Excel saves as "Unicode text": UTF-16LE, tab-separated, Windows line breaks.
      name: 'UTF-16LE (tab-separated, CRLF) with csv.encoding: utf-8',
      configured: 'utf-8',
      bytes: () => {
        const text = rosterCsv(rows).replaceAll(',', '\t').replaceAll('\n', '\r\n');
        return Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]);
      },
    },
    {
      name: 'UTF-16BE with csv.encoding: utf-16le',
      configured: 'utf-16le',
      bytes: () => Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(rosterCsv(rows), 'utf-16be')]),
    },
  ];

  let fx: ImportFixture;
  afterEach(async () => {
    await fx.dispose();
  });

  for (const [index, { name, configured, bytes }] of cases.entries()) {
    it(`imports ${name}: the names arrive intact`, async () => {
      fx = await importFixture(`roster-bom-${index}`, { config: { csv: { encoding: configured } } });
      await writeFile(fx.rosterPath, bytes());
      await importExpecting(fx, 0, []);

      const muller = await mustUser(fx, 'ENC-1');
      expect(one(muller, 'sn')).toBe('Müller');
      expect(one(muller, 'givenName')).toBe('Jürgen');
      const teacher = await mustUser(fx, 'ENC-2');
      expect(one(teacher, 'sn')).toBe('Öztürk-Weiß');
      expect(one(teacher, 'givenName')).toBe('Renée');
      expect(many(teacher, 'objectClass').length).toBeGreaterThan(0);
    });
  }
});
