/**
 * The directory's users are planned as they are read (ImportPlanner.addUser), so two decisions wait for
 * the end of the read: a record uid held by two entries (both left alone, no third entry), and an e-mail
 * change (checked against every address in use, which is read after the users). Against the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const NOW = ['--now', '2026-11-23'];
// Both decisions are reported as problems; with none tolerated, nothing at all would be written.
const TOLERATE = { ROSTERSYNC_TOLERATE_ERRORS: '5' };

describe('decisions that wait for the whole read', () => {
  let fx: ImportFixture;
  const rows: RosterRow[] = [
    { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'S-2', first: 'Eva', last: 'Roth', schools: 'gym1', role: 'student', email: 'eva@schule.example' },
    { id: 'S-3', first: 'Tom', last: 'Berg', schools: 'gym1', role: 'student', email: 'tom@schule.example' },
  ];

  beforeAll(async () => {
    fx = await importFixture('streamed');
    await fx.writeRoster(rows);
    expect((await fx.runImport(NOW)).code).toBe(0);
  });
  afterAll(async () => fx?.dispose());

  it('leaves both holders of a duplicated record uid alone and creates no third entry', async () => {
    const original = await fx.user('S-1');
    const dn = String(original?.dn);
    // A hand-made copy of S-1's entry under another uid: the record uid is now held twice.
    await fx.tree.client.add(dn.replace(/^uid=[^,]+/, 'uid=copy-of-s1'), {
      objectClass: ['inetOrgPerson', 'rostersyncUser'],
      uid: 'copy-of-s1',
      cn: 'Jan Meier',
      sn: 'Meier',
      givenName: 'Jan',
      rostersyncSourceUid: 'sis-test',
      rostersyncRecordUid: 'S-1',
      rostersyncSchool: 'gym1',
      rostersyncRole: 'student:school:gym1',
    });
    try {
      await fx.writeRoster([{ ...rows[0]!, last: 'Neumann' }, rows[1]!, { ...rows[2]!, last: 'Berger' }]);
      const refused = await fx.runImport(NOW);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('nothing is written');
      expect((await fx.user('S-3'))?.sn).toBe('Berg');

      const result = await fx.runImport(NOW, TOLERATE);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain("record uid 'S-1' is held by 2 entries of this source; all left alone");
      const holders = (await fx.users()).filter((user) => user.rostersyncRecordUid === 'S-1');
      expect(holders.map((user) => user.uid).sort()).toEqual(['copy-of-s1', String(original?.uid)].sort());
      // Neither holder got the new last name; the other rows were applied.
      expect(holders.map((user) => user.sn)).toEqual(['Meier', 'Meier']);
      expect((await fx.user('S-3'))?.sn).toBe('Berger');
    } finally {
      await fx.tree.client.del(dn.replace(/^uid=[^,]+/, 'uid=copy-of-s1'));
    }
  });

  it('gives a free address, and refuses one in use or given to another row in the same run', async () => {
    await fx.writeRoster([
      { ...rows[0]!, email: 'jan@schule.example' },
      { ...rows[1]!, email: 'new@schule.example' },
      { ...rows[2]!, last: 'Bergmann', email: 'new@schule.example' },
      {
        id: 'S-4',
        first: 'Ida',
        last: 'Kern',
        schools: 'gym1',
        role: 'student',
        email: 'eva@schule.example',
      },
    ]);
    const result = await fx.runImport(NOW, TOLERATE);
    expect(result.code, result.stderr).toBe(0);
    expect((await fx.user('S-1'))?.mail).toBe('jan@schule.example');
    // S-2 comes first in record-uid order and gets the address; S-3 asked for the same one.
    expect((await fx.user('S-2'))?.mail).toBe('new@schule.example');
    const tom = await fx.user('S-3');
    expect(tom?.mail).toBe('tom@schule.example');
    expect(tom?.sn).toBe('Bergmann');
    expect(result.stderr).toContain(
      'e-mail new@schule.example is already used by another entry; not changed',
    );
    // eva@ was in use when the run read the directory: the new user is not created with it.
    expect(await fx.user('S-4')).toBeUndefined();
    const holders = (await fx.users()).filter((user) => user.mail === 'new@schule.example');
    expect(holders).toHaveLength(1);
  });
});
