/**
 * `purge.mode: retire` against the real server (SPEC §8): the entry is pseudonymised in place as Open edX's
 * user_util names it — checked against hashes computed by the shell's sha1sum/sha256sum — locked, out of
 * every group, and its names stay taken by their hashes alone.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { plusDays, today } from '../support/real-clock.js';

const SALTS = ['old salt', 'Salt-2024!'];
const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  {
    id: 'S-2',
    first: 'Eva',
    last: 'Kurz',
    schools: 'gym1',
    role: 'student',
    classes: '5a',
    email: 'Eva.Kurz@school.example',
  },
];

/** HASH(v) computed outside the program: the shell's digest of salt ‖ lower-case value. */
function shellHash(tool: 'sha1sum' | 'sha256sum', salt: string, value: string): string {
  const out = execFileSync('sh', [
    '-c',
    `printf '%s%s' "$1" "$2" | ${tool}`,
    'sh',
    salt,
    value.toLowerCase(),
  ]);
  return out.toString().split(' ')[0] ?? '';
}

const values = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

async function retiredOne(name: string, config: Record<string, unknown> = {}) {
  const fx = await importFixture(name, {
    config: { purge: { mode: 'retire' }, ownership: { last_owner: 'none' }, ...config },
  });
  const saltsFile = join(fx.dir, 'salts');
  await writeFile(saltsFile, `${SALTS.join('\n')}\n`);
  await fx.editConfig({ retirement: { salts_file: saltsFile } });
  await fx.writeRoster(everyone);
  expect((await fx.runImport()).code).toBe(0);
  const eva = await fx.user('S-2');
  const password = (await fx.passwords()).get('e.kurz') ?? '';
  expect(await fx.canBind(String(eva?.dn), password)).toBe(true);
  // Something Eva owns: after her retirement no owner value names her, by the old DN or the new one.
  await fx.tree.client.add(`cn=projects,${fx.tree.baseDn}`, {
    objectClass: 'groupOfNames',
    cn: 'projects',
    member: fx.tree.adminDn,
    owner: String(eva?.dn),
  });
  // Eva leaves: grace 0/30, locked now and purged 30 days from today.
  await fx.writeRoster([everyone[0]!]);
  expect((await fx.runImport()).code).toBe(0);
  return { fx, uuid: String(eva?.entryUUID), oldDn: String(eva?.dn), password };
}

describe('purge.mode retire', () => {
  let fx: ImportFixture;
  let uuid: string;
  let oldDn: string;
  let password: string;
  const purgeDay = plusDays(today(), 31);
  beforeAll(async () => {
    ({ fx, uuid, oldDn, password } = await retiredOne('retire'));
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  const byUuid = async () => (await fx.users()).find((user) => user.entryUUID === uuid);

  it('a dry run shows the pseudonyms and writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    const dry = await fx.run([
      'purge',
      '--config',
      fx.configPath,
      '--now',
      purgeDay,
      '--dry-run',
      '--format',
      'json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      actions: { kind: string; mode?: string; retirement?: { pseudonyms: Record<string, string> } }[];
    };
    const retire = plan.actions.find((action) => action.kind === 'delete');
    expect(retire?.mode).toBe('retire');
    expect(retire?.retirement?.pseudonyms.username).toBe(
      `retired__user_${shellHash('sha1sum', 'Salt-2024!', 'e.kurz')}`,
    );
    expect((await fx.auditLines()).length).toBe(before);
    expect((await byUuid())?.uid).toBe('e.kurz');
  });

  it('pseudonymises the same entry, wipes, locks, and leaves no clear-text trace or group reference', async () => {
    const result = await fx.run(['purge', '--config', fx.configPath, '--now', purgeDay]);
    expect(result.code, result.stderr).toBe(0);
    const hashOf = (value: string) => shellHash('sha1sum', 'Salt-2024!', value);
    const retiredName = `retired__user_${hashOf('e.kurz')}`;
    const entry = await byUuid();
    expect(entry?.dn).toBe(`uid=${retiredName},${oldDn.slice(oldDn.indexOf(',') + 1)}`);
    expect(entry?.uid).toBe(retiredName);
    expect(entry?.cn).toBe(retiredName);
    expect(entry?.sn).toBe(retiredName);
    expect(entry?.displayName).toBe(retiredName);
    expect(entry?.mail).toBe(`retired__user_${hashOf('eva.kurz@school.example')}@retired.invalid`);
    expect(entry?.rostersyncRecordUid).toBe(`retired__${hashOf('S-2')}`);
    expect(entry?.givenName).toBeUndefined();
    expect(entry?.userPassword).toBeUndefined();
    expect(entry?.pwdAccountLockedTime).toBe('000001010000Z');
    expect(entry?.rostersyncRetirementState).toBe('COMPLETE');
    expect(entry?.rostersyncRetirementError).toBeUndefined();
    // Nothing in the subtree names the user in clear any more: no reservation entry, no member value.
    const everything = JSON.stringify(
      await fx.tree.client.search(fx.tree.baseDn, { scope: 'sub', attributes: ['*'] }),
    );
    for (const trace of ['e.kurz', 'Eva.Kurz@school.example', 'Kurz', oldDn])
      expect(everything).not.toContain(trace);
    for (const group of await fx.groups()) {
      expect(values(group.member)).not.toContain(entry?.dn);
    }
    const projects = await fx.tree.client.search(`cn=projects,${fx.tree.baseDn}`, {
      scope: 'base',
      attributes: ['owner'],
    });
    expect(values(projects.searchEntries[0]?.owner as string[] | undefined)).toEqual([]);
    expect(await fx.canBind(String(entry?.dn), password)).toBe(false);
    expect(await fx.canBind(oldDn, password)).toBe(false);
  });

  it('a second purge writes nothing', async () => {
    const before = (await fx.auditLines()).length;
    const again = await fx.run(['purge', '--config', fx.configPath, '--now', purgeDay]);
    expect(again.code, again.stderr).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('the retired names stay taken: the same person back is a new user, and the old address is refused', async () => {
    await fx.writeRoster(everyone);
    const refused = await fx.runImport();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('e-mail Eva.Kurz@school.example is already used by another entry');
    await fx.writeRoster([everyone[0]!, { ...everyone[1]!, email: '' }]);
    const result = await fx.runImport();
    expect(result.code, result.stderr).toBe(0);
    const back = await fx.user('S-2');
    expect(back?.entryUUID).not.toBe(uuid);
    expect(back?.uid).toBe('e.kurz2');
    expect((await byUuid())?.rostersyncRetirementState).toBe('COMPLETE');
  });
});

describe('a new salt', () => {
  it('hashes new retirements; names retired under the old one stay retired', async () => {
    const { fx } = await retiredOne('retire-salts');
    try {
      expect((await fx.run(['purge', '--config', fx.configPath, '--now', plusDays(today(), 31)])).code).toBe(
        0,
      );
      await writeFile(join(fx.dir, 'salts'), `${[...SALTS, 'Salt-2025?'].join('\n')}\n`);
      const check = await fx.run([
        'retirement',
        'check',
        '--config',
        fx.configPath,
        'e.kurz',
        'eva.kurz@school.example',
      ]);
      expect(check.stdout).toBe('e.kurz: retired\neva.kurz@school.example: retired\n');
      // Jan leaves too and is retired under the newest salt.
      await fx.writeRoster([]);
      expect((await fx.runImport(['--max-deletions', '100%'])).code).toBe(0);
      expect((await fx.run(['purge', '--config', fx.configPath, '--now', plusDays(today(), 31)])).code).toBe(
        0,
      );
      const jan = (await fx.users()).find(
        (user) =>
          String(user.rostersyncRecordUid) === `retired__${shellHash('sha1sum', 'Salt-2025?', 'S-1')}`,
      );
      expect(jan?.uid).toBe(`retired__user_${shellHash('sha1sum', 'Salt-2025?', 'j.meier')}`);
    } finally {
      await fx.dispose();
    }
  });
});

describe('retirement.hash: sha256', () => {
  it('hashes with SHA-256 and the newest salt', async () => {
    const { fx, uuid } = await retiredOne('retire-256', { retirement: { hash: 'sha256' } });
    try {
      const result = await fx.run(['purge', '--config', fx.configPath, '--now', plusDays(today(), 31)]);
      expect(result.code, result.stderr).toBe(0);
      const entry = (await fx.users()).find((user) => user.entryUUID === uuid);
      expect(entry?.uid).toBe(`retired__user_${shellHash('sha256sum', 'Salt-2024!', 'e.kurz')}`);
      expect(entry?.mail).toBe(
        `retired__user_${shellHash('sha256sum', 'Salt-2024!', 'eva.kurz@school.example')}@retired.invalid`,
      );
    } finally {
      await fx.dispose();
    }
  });
});

describe('a posix user retired', () => {
  it('gets a homeDirectory of the retired username; the state is stamped with --now', async () => {
    const { fx, uuid } = await retiredOne('retire-posix', {
      ldap: { posix: true },
      posix: { home_directory: '/home/{school}/{username}' },
    });
    try {
      const before = (await fx.users()).find((user) => user.entryUUID === uuid);
      expect(before?.homeDirectory).toBe('/home/gym1/e.kurz');
      const purgeDay = plusDays(today(), 31);
      const result = await fx.run(['purge', '--config', fx.configPath, '--now', purgeDay]);
      expect(result.code, result.stderr).toBe(0);
      const entry = (await fx.users()).find((user) => user.entryUUID === uuid);
      const retiredName = `retired__user_${shellHash('sha1sum', 'Salt-2024!', 'e.kurz')}`;
      expect(entry?.uid).toBe(retiredName);
      expect(entry?.homeDirectory).toBe(`/home/gym1/${retiredName}`);
      expect(String(entry?.rostersyncRetirementUpdated)).toMatch(
        new RegExp(`^${purgeDay.replaceAll('-', '')}`),
      );
      const everything = JSON.stringify(
        await fx.tree.client.search(fx.tree.baseDn, { scope: 'sub', attributes: ['*'] }),
      );
      for (const trace of ['e.kurz', 'Eva.Kurz@school.example', 'Kurz'])
        expect(everything).not.toContain(trace);
      const again = await fx.run(['purge', '--config', fx.configPath, '--now', purgeDay]);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await fx.dispose();
    }
  });
});
