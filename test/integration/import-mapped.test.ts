/**
 * Roster columns beyond the names: `attr:<ldapName>` fields kept exact on the entry, a `username` column,
 * and initial passwords given in a `password` column.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture } from '../support/import.js';

const HEADER = 'id,first,last,schools,role,classes,email,title,phone,login,pw';

describe('mapped roster columns', () => {
  let fx: ImportFixture;
  const write = (lines: string[]) => writeFile(fx.rosterPath, `${[HEADER, ...lines].join('\n')}\n`);

  beforeAll(async () => {
    fx = await importFixture('mapped', {
      config: {
        csv: {
          mapping: {
            id: 'record_uid',
            first: 'firstname',
            last: 'lastname',
            schools: 'schools',
            role: 'role',
            classes: 'classes',
            email: 'email',
            title: 'attr:title',
            phone: 'attr:telephoneNumber',
            login: 'username',
            pw: 'password',
          },
        },
      },
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('writes attr: fields, takes the username and the initial password from the roster', async () => {
    await write(['L-1,Ute,Lang,gym1,teacher,5a,,Oberstudienrätin,"+49 30 1,+49 30 2",ulang,Start-Passw0rd']);
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code).toBe(0);
    const user = await fx.user('L-1');
    expect(user?.uid).toBe('ulang');
    expect(user?.title).toBe('Oberstudienrätin');
    expect(user?.telephoneNumber).toEqual(['+49 30 1', '+49 30 2']);
    expect(await fx.canBind(String(user?.dn), 'Start-Passw0rd')).toBe(true);
    // The roster's password is listed like a generated one, and never written to the audit log.
    expect((await fx.passwords()).get('ulang')).toBe('Start-Passw0rd');
    expect(JSON.stringify(await fx.auditLines())).not.toContain('Start-Passw0rd');
  });

  it('changes only the mapped attribute that changed, and removes one whose cell is emptied', async () => {
    await write(['L-1,Ute,Lang,gym1,teacher,5a,,Studiendirektorin,,ulang,Start-Passw0rd']);
    const before = (await fx.auditLines()).length;
    expect((await fx.runImport(['--now', '2026-11-24'])).code).toBe(0);
    const writes = (await fx.auditLines()).slice(before);
    expect(writes).toHaveLength(1);
    expect(Object.keys(writes[0]?.attributes as object).sort()).toEqual(['telephoneNumber', 'title']);
    const user = await fx.user('L-1');
    expect(user?.title).toBe('Studiendirektorin');
    expect(user?.telephoneNumber).toBeUndefined();
  });
});
