/** Initial passwords: generation rules, hash formats slapd verifies, and the 0600 passwords file. */
import { argon2Sync, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMETERS,
  generatePassword,
  hashPassword,
  PasswordsFile,
  sshaHash,
} from '../../src/passwords/index.js';

describe('generatePassword', () => {
  it('has the requested length, no look-alikes and every character class', () => {
    for (let i = 0; i < 500; i++) {
      const password = generatePassword(8);
      expect(password).toHaveLength(8);
      expect(password).not.toMatch(/[0O1lI]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[2-9]/);
      expect(password).toMatch(/^[A-Za-z2-9]+$/);
    }
    expect(generatePassword(64)).toHaveLength(64);
  });

  it('differs between calls', () => {
    expect(new Set(Array.from({ length: 100 }, () => generatePassword(16))).size).toBe(100);
  });

  it('refuses lengths below 8', () => {
    expect(() => generatePassword(7)).toThrow('≥ 8');
    expect(() => generatePassword(8.5)).toThrow(RangeError);
  });
});

describe('hashPassword', () => {
  it('makes {SSHA} with an 8-byte salt that verifies', async () => {
    const hash = await hashPassword('Geheim-123', 'ssha');
    expect(hash).toMatch(/^\{SSHA\}[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(hash.slice('{SSHA}'.length), 'base64');
    expect(bytes).toHaveLength(28);
    const digest = bytes.subarray(0, 20);
    const salt = bytes.subarray(20);
    expect(createHash('sha1').update('Geheim-123').update(salt).digest()).toEqual(digest);
    expect(createHash('sha1').update('geheim-123').update(salt).digest()).not.toEqual(digest);
    expect(await hashPassword('Geheim-123', 'ssha')).not.toBe(hash);
  });

  it('hashes UTF-8 bytes like slapd', () => {
    const salt = Buffer.from('0102030405060708', 'hex');
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from('Grüße', 'utf8'), salt]))
      .digest();
    expect(sshaHash('Grüße', salt)).toBe(`{SSHA}${Buffer.concat([expected, salt]).toString('base64')}`);
  });

  it('makes an {ARGON2} PHC string that verifies', async () => {
    const hash = await hashPassword('Geheim-123', 'argon2');
    const match = /^\{ARGON2\}\$argon2id\$v=19\$m=65536,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
      hash,
    );
    expect(match).not.toBeNull();
    const [, salt = '', tag = ''] = match ?? [];
    const recomputed = argon2Sync('argon2id', {
      message: 'Geheim-123',
      nonce: Buffer.from(salt, 'base64'),
      memory: 65536,
      passes: 2,
      parallelism: 1,
      tagLength: ARGON2_PARAMETERS.tagLength,
    });
    expect(Buffer.from(tag, 'base64')).toEqual(recomputed);
    expect(Buffer.from(tag, 'base64')).toHaveLength(32);
    expect(Buffer.from(salt, 'base64')).toHaveLength(ARGON2_PARAMETERS.saltBytes);
  });
});

describe('PasswordsFile', () => {
  let dir: string;
  const options = { runId: 'run-1', clock: () => new Date('2026-11-30T06:00:00.000Z') };
  const stamp = 'run-1,2026-11-30T06:00:00.000Z';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'passwords-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the directory 0700 and the file 0600', async () => {
    const path = join(dir, 'secret', 'passwords.csv');
    const file = await PasswordsFile.open(path, options);
    await file.close();
    expect((await stat(join(dir, 'secret'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('narrows an existing file to 0600', async () => {
    const path = join(dir, 'passwords.csv');
    await writeFile(path, '');
    await chmod(path, 0o644);
    await (await PasswordsFile.open(path, options)).close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes the header once across reopening and appends', async () => {
    const path = join(dir, 'passwords.csv');
    const first = await PasswordsFile.open(path, options);
    await first.append([{ username: 'a.meier', recordUid: '17', password: 'xY3abcde' }]);
    await first.close();
    const second = await PasswordsFile.open(path, options);
    await second.append([]);
    await second.append([
      { username: 'b.roth', recordUid: '18', password: 'pQ7fghij' },
      { username: 'c.kern', recordUid: '19', password: 'rS8klmno' },
    ]);
    await second.close();
    expect(await readFile(path, 'utf8')).toBe(
      `username,record_uid,password,run_id,time\na.meier,17,xY3abcde,${stamp}\nb.roth,18,pQ7fghij,${stamp}\nc.kern,19,rS8klmno,${stamp}\n`,
    );
  });

  it('quotes fields with commas, quotes and line breaks', async () => {
    const path = join(dir, 'passwords.csv');
    const file = await PasswordsFile.open(path, options);
    await file.append([{ username: 'x', recordUid: 'a,b "c"', password: 'line\nbreak' }]);
    await file.close();
    expect(await readFile(path, 'utf8')).toBe(
      `username,record_uid,password,run_id,time\nx,"a,b ""c""","line\nbreak",${stamp}\n`,
    );
  });
});
