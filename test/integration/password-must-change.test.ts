/**
 * `password.must_change: true`: new users get ppolicy's pwdReset, in the add itself (with `set_via: exop`
 * again after the admin's Password Modify, which would drop it). The user's own password change clears
 * it; a policy with pwdMustChange lets a bind with the initial password do nothing but that change.
 * A server of its own: the last test turns pwdMustChange on in the default policy.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client, InsufficientAccessError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CreateUserAction, Plan } from '../../src/plan/types.js';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { runCli } from '../support/cli.js';
import { rosterCsv, testConfig } from '../support/import.js';

const run = promisify(execFile);

let server: SlapdServer;
let admin: Client;
let dir: string;

beforeAll(async () => {
  server = await startSlapd();
  admin = new Client({ url: server.url, timeout: 5000 });
  await admin.bind(server.adminDn, server.adminPassword);
  dir = await mkdtemp(join(tmpdir(), 'rostersync-must-change-'));
});
afterAll(async () => {
  await admin.unbind().catch(() => {});
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Imports one pupil with its own source and school, and returns its DN and initial password. */
async function importPupil(
  name: string,
  password: Record<string, unknown>,
): Promise<{ dn: string; initial: string; plan: Plan }> {
  const stateDir = join(dir, name);
  const configPath = join(dir, `${name}.yaml`);
  const rosterPath = join(dir, `${name}.csv`);
  const config = testConfig(
    {
      url: server.url,
      bindDn: server.adminDn,
      passwordFile: server.adminPasswordFile,
      baseDn: server.suffix,
    },
    stateDir,
    { source_uid: `sis-${name}`, schools: [name], password },
  );
  await writeFile(configPath, stringify(config));
  await writeFile(
    rosterPath,
    rosterCsv([{ id: `${name}-1`, first: 'Kim', last: name, schools: name, role: 'student' }]),
  );
  const args = ['import', '--config', configPath, '--input', rosterPath];
  const dry = await runCli([...args, '--dry-run', '--format', 'json']);
  expect(dry.code, dry.stderr).toBe(0);
  const plan = JSON.parse(dry.stdout) as Plan;
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(0);
  const { searchEntries } = await admin.search(server.suffix, {
    scope: 'sub',
    filter: `(rostersyncRecordUid=${name}-1)`,
    attributes: ['uid'],
  });
  const [entry] = searchEntries;
  if (entry === undefined) throw new Error(`${name}-1 was not created`);
  const line = (await readFile(join(stateDir, 'passwords.csv'), 'utf8')).trim().split('\n').at(-1) ?? '';
  const [, , initial = ''] = line.split(',');
  return { dn: entry.dn, initial, plan };
}

async function pwdReset(dn: string): Promise<unknown> {
  const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['pwdReset'] });
  return searchEntries[0]?.pwdReset;
}

/** The user changes its own password with the Password Modify extended operation. */
async function changeOwnPassword(dn: string, oldPassword: string, newPassword: string): Promise<void> {
  const oldFile = join(dir, 'old.pw');
  const newFile = join(dir, 'new.pw');
  await writeFile(oldFile, oldPassword, { mode: 0o600 });
  await writeFile(newFile, newPassword, { mode: 0o600 });
  await run('ldappasswd', [
    '-x',
    '-H',
    server.url,
    '-D',
    dn,
    '-y',
    oldFile,
    '-t',
    oldFile,
    '-T',
    newFile,
    dn,
  ]);
}

/** Binds as the user and reads the directory's base; throws what the server answers. */
async function bindAndSearch(dn: string, password: string): Promise<void> {
  const client = new Client({ url: server.url, timeout: 5000 });
  try {
    await client.bind(dn, password);
    await client.search(server.suffix, { scope: 'base', attributes: ['1.1'] });
  } finally {
    await client.unbind().catch(() => {});
  }
}

describe('password.must_change', () => {
  it('is off by default: new users carry no pwdReset', async () => {
    const { dn, plan } = await importPupil('plain', {});
    const create = plan.actions.find((action): action is CreateUserAction => action.kind === 'create');
    expect(create?.attributes.pwdReset).toBeUndefined();
    expect(await pwdReset(dn)).toEqual([]);
  });

  it.each(['add', 'exop'])(
    'marks new users pwdReset TRUE (set_via %s), shown in the plan; their own password change clears it',
    async (setVia) => {
      const { dn, initial, plan } = await importPupil(`must${setVia}`, {
        must_change: true,
        set_via: setVia,
      });
      const create = plan.actions.find((action): action is CreateUserAction => action.kind === 'create');
      expect(create?.attributes.pwdReset).toEqual(['TRUE']);
      expect(await pwdReset(dn)).toBe('TRUE');
      // The test policy has no pwdMustChange: the flag is recorded, the initial password works as usual.
      await expect(bindAndSearch(dn, initial)).resolves.toBeUndefined();
      await changeOwnPassword(dn, initial, 'Neues-Passwort-42');
      expect(await pwdReset(dn)).toEqual([]);
      await expect(bindAndSearch(dn, 'Neues-Passwort-42')).resolves.toBeUndefined();
    },
  );

  it('with pwdMustChange in the policy, a bind with the initial password may only change it', async () => {
    const { dn, initial } = await importPupil('enforced', { must_change: true });
    await admin.modify(
      `cn=default,ou=policies,${server.suffix}`,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'pwdMustChange', values: ['TRUE'] }),
      }),
    );
    await expect(bindAndSearch(dn, initial)).rejects.toBeInstanceOf(InsufficientAccessError);
    await changeOwnPassword(dn, initial, 'Neues-Passwort-43');
    expect(await pwdReset(dn)).toEqual([]);
    await expect(bindAndSearch(dn, 'Neues-Passwort-43')).resolves.toBeUndefined();
  });
});
