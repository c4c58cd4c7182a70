/**
 * The command line as an admin meets it: strict flags, exit codes, config errors that name their key, and
 * connection problems that say what is wrong — against a real slapd, never leaking a secret.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeCertificates, type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { runCli } from '../support/cli.js';
import { sharedSlapd } from '../support/ldap.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml);
  return path;
}

function ldapConfig(options: {
  url: string;
  bindDn: string;
  passwordFile: string;
  baseDn: string;
  extra?: string;
}) {
  return [
    'source_uid: sis-test',
    `state_dir: ${join(dir, 'state')}`,
    'ldap:',
    `  url: ${options.url}`,
    `  bind_dn: ${options.bindDn}`,
    `  bind_password_file: ${options.passwordFile}`,
    `  base_dn: ${options.baseDn}`,
    '  timeout_ms: 3000',
    options.extra ?? '',
    '',
  ].join('\n');
}

describe('command line parsing', () => {
  it('prints help with every command and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['import', 'purge', 'daemon', 'schema', 'config'])
      expect(result.stdout).toContain(command);
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('rejects an unknown flag with exit 2, naming it', async () => {
    const result = await runCli(['purge', '--dry-rnu']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown argument: --dry-rnu/);
  });

  it('rejects a missing required flag with exit 2, naming it', async () => {
    const result = await runCli(['import', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Missing required argument: input/);
  });

  it('rejects an unknown command and a missing command with exit 2', async () => {
    expect((await runCli(['imprt'])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['config'])).code).toBe(2);
  });

  it('rejects a bad --max-deletions and a bad --format with exit 2', async () => {
    const bad = await runCli(['import', '--input', 'x.csv', '--max-deletions', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-deletions');
    const format = await runCli(['schema', '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/format/);
  });

  it('rejects an unparsable --now and ROSTERSYNC_NOW with exit 2', async () => {
    const config = await writeConfig('now.yaml', 'source_uid: s\nldap:\n  base_dn: dc=example,dc=org\n');
    const flag = await runCli(['purge', '--config', config, '--now', '22.12.2026']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--now');
    const env = await runCli(['purge', '--config', config], { env: { ROSTERSYNC_NOW: 'tomorrow' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('ROSTERSYNC_NOW');
  });
});

describe('config check', () => {
  it('names the key of every config error and exits 2', async () => {
    const config = await writeConfig(
      'bad.yaml',
      [
        'source_uid: sis',
        'ldap:',
        '  base_dn: dc=example,dc=org',
        'deletion_grace_period:',
        '  deletion: -1',
        'delection_grace_period: {}',
        '',
      ].join('\n'),
    );
    const result = await runCli(['config', 'check', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('deletion_grace_period.deletion: expected a whole number of days ≥ 0');
    expect(result.stderr).toContain('delection_grace_period');
    expect(result.stdout).toBe('');
  });

  it('names the environment variable that set a bad value', async () => {
    const config = await writeConfig('ok.yaml', 'source_uid: sis\nldap:\n  base_dn: dc=example,dc=org\n');
    const result = await runCli(['config', 'check', '--config', config], {
      env: { ROSTERSYNC_TOLERATE_ERRORS: 'many' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ROSTERSYNC_TOLERATE_ERRORS');
    expect(result.stderr).toContain('tolerate_errors');
  });

  it('reads the config file named by ROSTERSYNC_CONFIG', async () => {
    const config = await writeConfig(
      'by-env.yaml',
      'source_uid: from-env-file\nldap:\n  base_dn: dc=example,dc=org\n',
    );
    const result = await runCli(['config', 'check', '--format', 'json'], {
      env: { ROSTERSYNC_CONFIG: config },
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { source_uid: string }).source_uid).toBe('from-env-file');
  });

  it('prints the effective config in both formats', async () => {
    const config = await writeConfig('eff.yaml', 'source_uid: sis\nldap:\n  base_dn: dc=example,dc=org\n');
    const yaml = await runCli(['config', 'check', '--config', config]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('deletion_grace_period:');
    const json = await runCli(['config', 'check', '--config', config, '--format', 'json']);
    const parsed = JSON.parse(json.stdout) as {
      ldap: { base_dn: string };
      safety: { max_deletions: unknown };
    };
    expect(parsed.ldap.base_dn).toBe('dc=example,dc=org');
    expect(parsed.safety.max_deletions).toBe('10%');
  });

  it('--connect binds to the real server and checks base DN and schema', async () => {
    const server = sharedSlapd();
    const config = await writeConfig(
      'connect.yaml',
      ldapConfig({
        url: server.url,
        bindDn: server.adminDn,
        passwordFile: server.adminPasswordFile,
        baseDn: server.suffix,
      }),
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect']);
    expect(result.stderr).toMatch(/ok\s+bind/);
    expect(result.stderr).toMatch(/ok\s+base_dn/);
    expect(result.stderr).toMatch(
      /ok\s+schema: object class rostersyncUser and every attribute of this version are known/,
    );
    expect(result.stderr).toMatch(/ok\s+run lock: object class rostersyncLease is known/);
    expect(result.code).toBe(0);
  });

  it('--connect says where the run lock is held when it is not a lease on this server', async () => {
    const server = sharedSlapd();
    const base = ldapConfig({
      url: server.url,
      bindDn: server.adminDn,
      passwordFile: server.adminPasswordFile,
      baseDn: server.suffix,
    });
    const fileLock = await writeConfig('lock-file.yaml', `${base}lock:\n  store: file\n`);
    const files = await runCli(['config', 'check', '--config', fileLock, '--connect']);
    expect(files.stderr).toMatch(/ok\s+run lock: lock.store: file: a lock file on each host/);
    const elsewhere = await writeConfig(
      'lock-url.yaml',
      base.replace(`url: ${server.url}`, `url: ${server.url}\n  lock_url: ldap://ldap-lock.example`),
    );
    const other = await runCli(['config', 'check', '--config', elsewhere, '--connect']);
    expect(other.stderr).toMatch(/ok\s+run lock: leases are held on ldap:\/\/ldap-lock.example/);
  });

  it('--connect on a server whose schema lacks the lease class: auto warns of the file fallback, directory fails', async () => {
    const slapdDir = join(dir, 'slapd-no-lease');
    const server = await startSlapd({ dir: slapdDir });
    try {
      // The schema as an older release loaded it: without the object class of the run lock's lease.
      await server.stop();
      const schemaFile = join(slapdDir, 'rostersync.schema');
      const blocks = (await readFile(schemaFile, 'utf8')).split('\n\n');
      await writeFile(
        schemaFile,
        blocks.filter((block) => !block.includes("NAME 'rostersyncLease'")).join('\n\n'),
      );
      await server.restart();

      const base = ldapConfig({
        url: server.url,
        bindDn: server.adminDn,
        passwordFile: server.adminPasswordFile,
        baseDn: server.suffix,
      });
      const auto = await runCli([
        'config',
        'check',
        '--config',
        await writeConfig('no-lease-auto.yaml', base),
        '--connect',
      ]);
      expect(auto.stderr).toMatch(
        /ok\s+run lock: object class rostersyncLease is unknown: runs fall back to a lock file on each host/,
      );
      expect(auto.code, auto.stderr).toBe(0);
      const directory = await runCli([
        'config',
        'check',
        '--config',
        await writeConfig('no-lease-directory.yaml', `${base}lock:\n  store: directory\n`),
        '--connect',
      ]);
      expect(directory.stderr).toMatch(
        /run lock: object class rostersyncLease is unknown and lock.store is directory: every run would fail/,
      );
      expect(directory.code).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('--connect reports a missing base DN with exit 1', async () => {
    const server = sharedSlapd();
    const config = await writeConfig(
      'nobase.yaml',
      ldapConfig({
        url: server.url,
        bindDn: server.adminDn,
        passwordFile: server.adminPasswordFile,
        baseDn: `ou=missing,${server.suffix}`,
      }),
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no such entry: ou=missing,${server.suffix}`);
  });
});

describe('connection errors at the command line', () => {
  const wrongPassword = 'wr0ng-Secret-value';

  it('a wrong password: exit 1, names the bind DN, never shows the password', async () => {
    const server = sharedSlapd();
    const passwordFile = join(dir, 'wrong.pw');
    await writeFile(passwordFile, `${wrongPassword}\n`, { mode: 0o600 });
    const config = await writeConfig(
      'wrongpw.yaml',
      ldapConfig({ url: server.url, bindDn: server.adminDn, passwordFile, baseDn: server.suffix }) +
        'output:\n  log_level: debug\n  log_format: json\n',
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`invalid credentials for ${server.adminDn}`);
    expect(result.stdout + result.stderr).not.toContain(wrongPassword);
  });

  it('the password from ROSTERSYNC_LDAP_BIND_PASSWORD works and is never printed', async () => {
    const server = sharedSlapd();
    const config = await writeConfig(
      'envpw.yaml',
      `source_uid: s\nldap:\n  url: ${server.url}\n  bind_dn: ${server.adminDn}\n  base_dn: ${server.suffix}\n`,
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect', '--format', 'json'], {
      env: { ROSTERSYNC_LDAP_BIND_PASSWORD: server.adminPassword },
    });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(server.adminPassword);
  });

  it('an unreachable port: exit 1, names the URL', async () => {
    const server = sharedSlapd();
    const url = `ldap://127.0.0.1:${await freePort()}`;
    const config = await writeConfig(
      'unreachable.yaml',
      ldapConfig({
        url,
        bindDn: server.adminDn,
        passwordFile: server.adminPasswordFile,
        baseDn: server.suffix,
      }),
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach LDAP server ${url}`);
  });

  it('a missing password file: exit 2 naming ldap.bind_password_file', async () => {
    const server = sharedSlapd();
    const config = await writeConfig(
      'nopwfile.yaml',
      ldapConfig({
        url: server.url,
        bindDn: server.adminDn,
        passwordFile: join(dir, 'does-not-exist.pw'),
        baseDn: server.suffix,
      }),
    );
    const result = await runCli(['config', 'check', '--config', config, '--connect']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ldap.bind_password_file');
  });

  describe('TLS', () => {
    let server: SlapdServer;
    let otherCa: string;
    beforeAll(async () => {
      server = await startSlapd({ tls: true });
      otherCa = (await makeCertificates(join(dir, 'other-ca'), 'some other CA')).caFile;
    });
    afterAll(async () => {
      await server.stop();
    });

    const tlsConfig = (name: string, url: string, tls: string) =>
      writeConfig(
        name,
        ldapConfig({
          url,
          bindDn: server.adminDn,
          passwordFile: server.adminPasswordFile,
          baseDn: server.suffix,
          extra: `  ${tls.split('\n').join('\n  ')}`,
        }),
      );

    it('a certificate from an unknown CA: exit 1 with a TLS verification error', async () => {
      const config = await tlsConfig('badca.yaml', server.ldapsUrl!, `tls:\n  ca_file: ${otherCa}`);
      const result = await runCli(['config', 'check', '--config', config, '--connect']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`TLS certificate verification failed for ${server.ldapsUrl}`);
    });

    it('the right CA over ldaps:// and over StartTLS: exit 0', async () => {
      const ldaps = await tlsConfig('goodca.yaml', server.ldapsUrl!, `tls:\n  ca_file: ${server.caFile}`);
      expect((await runCli(['config', 'check', '--config', ldaps, '--connect'])).code).toBe(0);
      const starttls = await tlsConfig(
        'starttls.yaml',
        server.url,
        `starttls: true\ntls:\n  ca_file: ${server.caFile}`,
      );
      expect((await runCli(['config', 'check', '--config', starttls, '--connect'])).code).toBe(0);
    });

    it('verification can only be turned off explicitly', async () => {
      const config = await tlsConfig('noverify.yaml', server.ldapsUrl!, 'tls:\n  reject_unauthorized: false');
      expect((await runCli(['config', 'check', '--config', config, '--connect'])).code).toBe(0);
    });
  });
});

describe('schema command', () => {
  it('prints the slapd.conf form', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/attributetype \( 2\.25\.\d+\.1\.5\s+NAME 'rostersyncPurgeTimestamp'/);
    expect(result.stdout).toContain('ORDERING generalizedTimeOrderingMatch');
  });

  it('prints the cn=config LDIF form', async () => {
    const result = await runCli(['schema', '--format', 'ldif']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dn: cn=rostersync,cn=schema,cn=config');
    expect(result.stdout).toContain('olcObjectClasses:');
  });
});

describe('lifecycle', () => {
  it('validates its config first, and names the rules when --rule names none of them (exit 2)', async () => {
    const bad = await writeConfig(
      'purge-bad.yaml',
      'source_uid: s\nldap:\n  base_dn: dc=x\npurge:\n  mode: shred\n',
    );
    expect((await runCli(['lifecycle', '--config', bad])).code).toBe(2);
    const good = await writeConfig(
      'lifecycle-rules.yaml',
      'source_uid: s\nldap:\n  base_dn: dc=x\nlifecycle:\n  rules:\n    - { name: inactive, trigger: no_login, days: 365 }\n',
    );
    const result = await runCli(['lifecycle', '--config', good, '--rule', 'inactiv', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no lifecycle rule named 'inactiv' (did you mean 'inactive'?)");
  });
});

describe('the installed bin', () => {
  it('runs the compiled CLI (npm run build) with the same exit codes', async () => {
    expect(existsSync('dist/cli/main.js'), 'run `npm run build` first (npm test does)').toBe(true);
    const { stdout } = await run(process.execPath, ['bin/rostersync.js', '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const failure = await run(process.execPath, ['bin/rostersync.js', 'import']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('Missing required argument: input');
  });

  it('runs as a command through its #! line, with the Node flags it names', async () => {
    // As the PATH finds `node`: the one running these tests.
    const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
    const { stdout } = await run('bin/rostersync.js', ['--version'], { env: { ...process.env, PATH: path } });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const [shebang] = readFileSync('bin/rostersync.js', 'utf8').split('\n', 1);
    // The young generation's cap (see the bin): a third less peak memory at the same speed.
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node .*--max-semi-space-size=\d+/);
  });
});
