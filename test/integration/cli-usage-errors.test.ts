/**
 * Usage and config errors are exit 2 and say everything that is wrong: an unknown flag is named even when a
 * required one is missing too, and an unreadable `ldap.tls.ca_file` is a config error naming the key, found
 * before any connection is tried.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type ImportFixture, importFixture } from '../support/import.js';
import { sharedSlapd } from '../support/ldap.js';

describe('unknown flags', () => {
  it('names an unknown flag beside a missing required one', async () => {
    const result = await runCli(['import', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--bogus');
    expect(result.stderr).toContain('Missing required argument: input');
  });

  it('names every unknown flag, as typed, once', async () => {
    const result = await runCli(['import', '--input', 'roster.csv', '--bogus', '--dry-rnu']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown arguments: --bogus, --dry-rnu');
    expect(result.stderr).not.toContain('dryRnu');
    expect(result.stderr).not.toContain('Missing required');
  });

  it('a missing required flag alone is reported alone', async () => {
    const result = await runCli(['import', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Missing required argument: input');
    expect(result.stderr).not.toContain('Unknown');
  });

  it('an unknown flag of a subcommand', async () => {
    const result = await runCli(['config', 'check', '--conect']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown argument: --conect');
  });
});

describe('ldap.tls.ca_file that cannot be read', () => {
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rostersync-ca-file-'));
    const server = sharedSlapd();
    configPath = join(dir, 'rostersync.yaml');
    await writeFile(
      configPath,
      [
        'source_uid: sis-test',
        `state_dir: ${join(dir, 'state')}`,
        'ldap:',
        `  url: ${server.url}`,
        `  bind_dn: ${server.adminDn}`,
        `  bind_password_file: ${server.adminPasswordFile}`,
        `  base_dn: ${server.suffix}`,
        '  tls:',
        `    ca_file: ${join(dir, 'missing-ca.pem')}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('config check without --connect does not need it', async () => {
    const result = await runCli(['config', 'check', '--config', configPath]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('config check --connect: exit 2 naming the key', async () => {
    const result = await runCli(['config', 'check', '--config', configPath, '--connect']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ldap.tls.ca_file: ');
    expect(result.stderr).toContain('missing-ca.pem');
  });
});

describe('import with a ca_file that cannot be read', () => {
  let fx: ImportFixture;

  beforeAll(async () => {
    fx = await importFixture('ca-file', { config: { ldap: { tls: { ca_file: '/nonexistent/ca.pem' } } } });
    await fx.writeRoster([{ id: 'S-1', first: 'Sara', last: 'Lang', schools: 'gym1', role: 'student' }]);
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('exits 2 naming the key and writes nothing', async () => {
    const result = await fx.runImport();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ldap.tls.ca_file: ');
    expect(await fx.users()).toEqual([]);
  });
});
