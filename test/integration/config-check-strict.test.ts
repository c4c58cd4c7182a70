/**
 * `config check` rejects every config the import would reject for its content: DN-valued keys that do not
 * parse as DNs, name templates with unknown fields or counters, an e-mail template without a domain. Each
 * problem names its key and the exit code is 2, from the same checks the import runs; the shipped configs
 * still pass.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-config-strict-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A valid config with `ldap` and `extra` lines added; `ldap` lines go under `ldap:`. */
async function configWith(name: string, options: { ldap?: string[]; extra?: string[] }): Promise<string> {
  const lines = [
    'source_uid: sis-test',
    `state_dir: ${join(dir, 'state')}`,
    'ldap:',
    '  url: ldap://127.0.0.1:1',
    ...(options.ldap ?? ['  base_dn: dc=example,dc=org']).map((line) => `  ${line.trimStart()}`),
    ...(options.extra ?? []),
    '',
  ];
  const path = join(dir, name);
  await writeFile(path, lines.join('\n'));
  return path;
}

async function check(path: string) {
  return runCli(['config', 'check', '--config', path]);
}

describe('config check: DN-valued keys must be DNs', () => {
  it.each([
    ['ldap.base_dn', ['base_dn: dc=example,,dc=org']],
    ['ldap.base_dn', ['base_dn: example.org']],
    ['ldap.bind_dn', ['base_dn: dc=example,dc=org', 'bind_dn: cn=admin,dc=example,dc=org,']],
    ['ldap.users_dn', ['base_dn: dc=example,dc=org', "users_dn: 'ou=people,,{base_dn}'"]],
    ['ldap.users_dn', ['base_dn: dc=example,dc=org', "users_dn: '{school},{base_dn}'"]],
    ['ldap.groups_dn', ['base_dn: dc=example,dc=org', "groups_dn: 'groups,ou={school},{base_dn}'"]],
  ])('%s: %j → exit 2 naming the key', async (key, ldap) => {
    const result = await check(await configWith(`${key}-${ldap.length}.yaml`, { ldap }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${key}: `);
    expect(result.stderr).toMatch(/invalid DN/);
    expect(result.stdout).toBe('');
  });

  it('purge.move_to_dn → exit 2 naming the key', async () => {
    const path = await configWith('move-to.yaml', {
      extra: ['purge:', '  mode: move', '  move_to_dn: \'ou=moved,"dc=example",dc=org\''],
    });
    const result = await check(path);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('purge.move_to_dn: ');
    expect(result.stderr).toMatch(/invalid DN/);
  });

  it('accepts escaped and multi-valued DNs', async () => {
    const path = await configWith('good-dns.yaml', {
      ldap: [
        'base_dn: o=Schule\\, Nord+l=Kiel,dc=example,dc=org',
        'bind_dn: cn=rostersync,ou=services,dc=example,dc=org',
        "users_dn: 'ou=people,ou={school},{base_dn}'",
        "groups_dn: 'ou=groups,{base_dn}'",
      ],
    });
    const result = await check(path);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('config check: name templates are compiled as the import compiles them', () => {
  it.each([
    ['scheme.username', '<firstnme>.<lastname>', /unknown field <firstnme>; did you mean <firstname>\?/],
    ['scheme.username', '<firstname>.<lastname>[COUNTER3]', /unknown counter \[COUNTER3\]/],
    ['scheme.username', '<firstname>.<lastname>[ALWAYS]', /\[ALWAYS\]/],
    ['scheme.email', '<firstname>.<lastnam>@school.example', /unknown field <lastnam>/],
    ['scheme.email', '<firstname>.<lastname>[CNT]@school.example', /\[CNT\]/],
    ['scheme.email', '<firstname>.<lastname>', /needs '@domain'/],
    ['scheme.email', '<firstname>.<lastname>@', /not a valid mail domain/],
  ])('%s: %s → exit 2 naming the key', async (key, template, message) => {
    const leaf = key.split('.')[1] ?? '';
    const path = await configWith(`${leaf}-${template.length}.yaml`, {
      extra: ['scheme:', `  ${leaf}: '${template}'`],
    });
    const result = await check(path);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${key}: `);
    expect(result.stderr).toMatch(message);
  });

  it('reports every problem of one file together, each under its key', async () => {
    const path = await configWith('many.yaml', {
      ldap: ['base_dn: dc=example,,dc=org'],
      extra: ['scheme:', "  username: '<vorname>.<lastname>'", "  email: '<firstname>'"],
    });
    const result = await check(path);
    expect(result.code).toBe(2);
    for (const key of ['ldap.base_dn', 'scheme.username', 'scheme.email'])
      expect(result.stderr).toContain(`${key}: `);
  });

  it('the import stops on the same problem with the same message before reading anything', async () => {
    const path = await configWith('import.yaml', { extra: ['scheme:', "  email: '<firstname>'"] });
    const checked = await check(path);
    const imported = await runCli(['import', '--config', path, '--input', join(dir, 'no-such.csv')]);
    expect(imported.code).toBe(2);
    const problem = (text: string) => text.split('\n').find((line) => line.includes('scheme.email: '));
    expect(problem(imported.stderr)).toBeDefined();
    expect(problem(imported.stderr)).toBe(problem(checked.stderr));
  });
});

describe('config check: the shipped configs pass', () => {
  it.each(['samples/config.yaml', 'samples/office-export.yaml', 'config/example.yaml'])(
    '%s',
    async (file) => {
      // The annotated example reads its secrets from systemd credentials.
      const result = await runCli(['config', 'check', '--config', resolve(file)], {
        env: { CREDENTIALS_DIRECTORY: '/run/credentials/rostersync.service' },
      });
      expect(result.code, result.stderr).toBe(0);
    },
  );
});
