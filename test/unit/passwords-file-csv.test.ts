/**
 * The passwords file as admins open it: no cell a spreadsheet would run as a formula, and each line says
 * which run wrote it and when, so the current password of a username listed twice is plain.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvField, generatePassword, PasswordsFile } from '../../src/passwords/index.js';

/** What OWASP lists as the start of a formula: =, +, -, @, tab, carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;

describe('csvField', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+2', `"'+1+2"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
  ])('neutralises %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('leaves ordinary values alone and quotes only what RFC 4180 needs', () => {
    expect(csvField('a.meier')).toBe('a.meier');
    expect(csvField('S-1')).toBe('S-1');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('x=1')).toBe('x=1');
  });
});

describe('generated passwords', () => {
  it('never start with a character a spreadsheet reads as a formula, so the file lists them unchanged', () => {
    for (let i = 0; i < 5000; i++) {
      const password = generatePassword(8);
      expect(password).not.toMatch(FORMULA_START);
      expect(csvField(password)).toBe(password);
    }
  });
});

describe('PasswordsFile lines', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'passwords-csv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('neutralises a record uid a spreadsheet would run, and parses back with the quote as the only change', async () => {
    const path = join(dir, 'passwords.csv');
    const file = await PasswordsFile.open(path, { runId: 'run-a' });
    await file.append([
      { username: 'a.meier', recordUid: '=1+1', password: 'xY3abcde' },
      { username: 'b.roth', recordUid: '@cmd', password: 'pQ7fghij' },
    ]);
    await file.close();
    const rows = parse(await readFile(path, 'utf8'));
    expect(rows[0]).toEqual(['username', 'record_uid', 'password', 'run_id', 'time']);
    expect(rows.slice(1).map((row) => row.slice(0, 3))).toEqual([
      ['a.meier', "'=1+1", 'xY3abcde'],
      ['b.roth', "'@cmd", 'pQ7fghij'],
    ]);
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(FORMULA_START);
  });

  it('writes the run id and the time on every line, so the latest line for a username is the current one', async () => {
    const path = join(dir, 'passwords.csv');
    const first = await PasswordsFile.open(path, {
      runId: 'run-1',
      clock: () => new Date('2026-11-30T06:00:00.000Z'),
    });
    await first.append([{ username: 'a.meier', recordUid: '17', password: 'oldPass2' }]);
    await first.close();
    const second = await PasswordsFile.open(path, {
      runId: 'run-2',
      clock: () => new Date('2026-11-30T06:05:00.000Z'),
    });
    await second.append([{ username: 'a.meier', recordUid: '17', password: 'newPass3' }]);
    await second.close();
    expect(await readFile(path, 'utf8')).toBe(
      [
        'username,record_uid,password,run_id,time',
        'a.meier,17,oldPass2,run-1,2026-11-30T06:00:00.000Z',
        'a.meier,17,newPass3,run-2,2026-11-30T06:05:00.000Z',
        '',
      ].join('\n'),
    );
  });
});
