/**
 * The console's sign-in against the real server (SPEC §11): a bind as the user found by `uid`, then the
 * groups decide — members by DN (`groupOfNames`, `groupOfUniqueNames`) or by username (`posixGroup`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { signIn } from '../../src/console/auth.js';
import { type ImportFixture, importFixture } from '../support/import.js';
import { silentLogger } from '../support/logging.js';

const PASSWORD = 'Pa55-word-of-a-user';

describe('console sign-in and its groups', () => {
  let fx: ImportFixture;
  let config: Config;
  beforeAll(async () => {
    fx = await importFixture('console-auth');
    const { baseDn, client } = fx.tree;
    const staff = `ou=staff,${baseDn}`;
    await client.add(staff, { objectClass: 'organizationalUnit', ou: 'staff' });
    for (const uid of ['ada', 'ben', 'cem', 'dan']) {
      await client.add(`uid=${uid},${staff}`, {
        objectClass: 'inetOrgPerson',
        uid,
        cn: uid,
        sn: uid,
        userPassword: PASSWORD,
      });
    }
    await client.add(`cn=admins,${staff}`, {
      objectClass: 'groupOfUniqueNames',
      cn: 'admins',
      uniqueMember: `uid=ada,${staff}`,
    });
    await client.add(`cn=gym1-admins,${staff}`, {
      objectClass: 'posixGroup',
      cn: 'gym1-admins',
      gidNumber: '5001',
      memberUid: 'ben',
    });
    await client.add(`cn=gym2-admins,${staff}`, {
      objectClass: 'groupOfNames',
      cn: 'gym2-admins',
      member: `uid=cem,${staff}`,
    });
    await fx.editConfig({
      console: {
        admin_group: `cn=admins,${staff}`,
        school_groups: { gym1: `cn=gym1-admins,${staff}`, gym2: `cn=gym2-admins,${staff}` },
      },
    });
    ({ config } = await loadConfig({ configPath: fx.configPath, env: {} }));
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  const signInAs = (username: string, password = PASSWORD) =>
    signIn(config, {}, silentLogger, username, password);

  it('a uniqueMember of the admin group acts on all schools', async () => {
    expect(await signInAs('ada')).toMatchObject({ ok: true, user: { username: 'ada', schools: 'all' } });
  });

  it('a memberUid of a school group and a member of another act on their school', async () => {
    expect(await signInAs('ben')).toMatchObject({ ok: true, user: { schools: ['gym1'] } });
    // The typed name in another case finds the same entry; memberUid is matched by the uid as stored.
    expect(await signInAs('BEN')).toMatchObject({ ok: true, user: { schools: ['gym1'] } });
    expect(await signInAs('cem')).toMatchObject({ ok: true, user: { schools: ['gym2'] } });
  });

  it('anyone else, or a wrong password, is refused', async () => {
    expect(await signInAs('dan')).toEqual({ ok: false, reason: 'not-member' });
    expect(await signInAs('ada', 'wrong')).toEqual({ ok: false, reason: 'credentials' });
  });
});
